# Setup: run this cell first. On your own computer, with the notebook in its folder, it does nothing.
# On Google Colab it installs what the notebook needs and Colab lacks (Otter for grader.check, ...) and moves
# into this assignment's folder of files.
def setup_assignment(assignment, files, needs):
    import importlib.util
    import os
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    missing = [spec for module, spec in needs.items() if importlib.util.find_spec(module) is None]
    if missing:
        print(f"Installing {', '.join(missing)} ...")
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], capture_output=True, text=True)
        if pip.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(missing)} failed:\n{pip.stderr}")
        importlib.invalidate_caches()
    try:
        import google.colab  # noqa: F401  (importable only on Colab)
    except ImportError:
        return

    def complete(folder):
        return all((folder / name).exists() for name in files)

    if complete(Path.cwd()):
        return
    root = Path(os.environ.get("DIFFCOURSE_COLAB_ROOT", "/content"))  # the tests point this elsewhere
    places = ["", "drive/MyDrive/", "drive/MyDrive/*/", "drive/MyDrive/*/*/"]  # /content, then a mounted Drive
    folder = next((f for p in places for f in sorted(root.glob(p + assignment)) if complete(f)), None)
    if folder is None:
        zips = [z for p in places for z in sorted(root.glob(f"{p}{assignment}-student*.zip"))]
        if zips:
            with zipfile.ZipFile(zips[0]) as zf:
                zf.extractall(root)  # the zip holds the assignment's folder
            folder = root / assignment
    if folder is None or not complete(folder):
        raise FileNotFoundError(
            f"This notebook needs its files ({', '.join(files)}). In Colab's Files panel (the folder icon on the "
            f"left), upload {assignment}-student.zip from the course page, or mount your Google Drive holding the "
            f"folder {assignment}/; then run this cell again.")
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    print(f"Working in {folder}. To submit from Colab: File > Download > Download .ipynb, and upload that "
          "notebook (grader.export() does not run on Colab).")


setup_assignment("{{assignment}}", files={{files}}, needs={{needs}})
