"""The misconception catalogs, one module per assignment (`<id>.py`, exposing `CATALOG`); see misconceptions.py."""
