"""Grading one submission (engine, worker) and a folder of them (batch, cache)."""
