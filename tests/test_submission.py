"""Reading submissions: zips and notebooks, with bad input rejected clearly."""

import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.grading.submission import BadSubmission, find_submissions, load_notebook


def _nb(source="x = 1"):
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]))


def test_bare_notebook_and_zip(tmp_path):
    (tmp_path / "a.ipynb").write_text(_nb("a = 1"))
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        zf.writestr("hw2_ddpm.ipynb", _nb("b = 2"))
        zf.writestr("other.ipynb", _nb("c = 3"))
        zf.writestr(".OTTER_LOG", b"log")
    (tmp_path / "notes.txt").write_text("ignored")
    found = find_submissions(tmp_path)
    assert [p.name for p in found] == ["a.ipynb", "b.zip"]
    assert load_notebook(found[1], "hw2_ddpm").cells[0].source == "b = 2"  # the assignment's name wins


def test_outputs_are_dropped(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="x")])])
    (tmp_path / "a.ipynb").write_text(nbformat.writes(nb))
    assert load_notebook(tmp_path / "a.ipynb", "hw1_score").cells[0].outputs == []


@pytest.mark.parametrize("content,match", [
    (b"{not json", "not a readable Jupyter notebook"),
    (b"", "not a readable Jupyter notebook"),
])
def test_broken_notebooks(tmp_path, content, match):
    (tmp_path / "a.ipynb").write_bytes(content)
    with pytest.raises(BadSubmission, match=match):
        load_notebook(tmp_path / "a.ipynb", "hw1_score")


def test_broken_zips(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"PK not a zip")
    with pytest.raises(BadSubmission, match="not a valid zip"):
        load_notebook(tmp_path / "a.zip", "hw1_score")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        zf.writestr("readme.txt", "no notebook")
    with pytest.raises(BadSubmission, match="no .ipynb"):
        load_notebook(tmp_path / "b.zip", "hw1_score")


def _reads_in_memory(load, tmp_path, monkeypatch):
    """Entries named `../../escape.ipynb` and an absolute path are read, never written: with the working
    directory deep inside tmp_path (where a relative write would land), nothing new appears under tmp_path
    or at the absolute path, and zipfile's extract is never called."""
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    absolute = tmp_path / "abs" / "hw1_score.ipynb"
    for entry, source in (("../../escape.ipynb", "evil = 1"), (str(absolute), "evil = 2")):
        archive = tmp_path / "evil.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(entry, _nb(source))
        before = set(tmp_path.rglob("*"))
        assert load(archive, "hw1_score").cells[0].source == source
        assert set(tmp_path.rglob("*")) == before, set(tmp_path.rglob("*")) - before
        archive.unlink()


def test_zip_entries_are_read_in_memory_never_written(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a submission's zip was extracted")

    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)
    _reads_in_memory(load_notebook, tmp_path, monkeypatch)


def test_the_zip_test_catches_a_loader_that_writes_entries_where_they_point(tmp_path, monkeypatch):
    """Mutation test: a loader that writes each entry to its own path (as a naive unzip does) is caught."""
    def naive(path, assignment):
        with zipfile.ZipFile(path) as zf:
            [name] = zf.namelist()
            target = Path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(name))
        return load_notebook(path, assignment)

    with pytest.raises(AssertionError):
        _reads_in_memory(naive, tmp_path, monkeypatch)
