"""Reading submissions: zips and notebooks, with bad input rejected clearly."""

import zipfile

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


def test_zip_paths_are_never_extracted(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../../escape.ipynb", _nb("evil = 1"))
    nb = load_notebook(tmp_path / "evil.zip", "hw1_score")  # read in memory only
    assert nb.cells[0].source == "evil = 1"
    assert not (tmp_path.parent.parent / "escape.ipynb").exists()
