"""Intake takes only regular files: links, hard links, devices and pipes in a submission are refused by name and
reason without being followed or read; zip members that are links or leave the folder are refused; sizes are capped."""
import os
import stat
import time
import zipfile

import pytest

from autograder import intake
from autograder.rules import MAX_SOURCE_BYTES
from conftest import SOLUTION

HONEST = "import numpy as np\n\ndef conv2d(inputs, filters, strides, padding):\n    return np.zeros(1)\n"


def folder_with(tmp_path, **files):
    folder = tmp_path / "upload"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def staged_text(staged, module="convolution"):
    return (staged.directory / f"{module}.py").read_text()


def test_a_regular_folder_is_staged_as_it_was(tmp_path):
    folder = folder_with(tmp_path, **{"convolution.py": HONEST, "assignment.py": "x = 1\n"})
    staged = intake.stage(folder, tmp_path / "staged")
    assert staged_text(staged) == HONEST and staged_text(staged, "assignment") == "x = 1\n"
    assert staged.modules == ("convolution", "assignment") and staged.notes == []


def test_a_symlinked_module_is_refused_by_name_and_never_read(tmp_path):
    folder = folder_with(tmp_path, **{"assignment.py": "x = 1\n"})
    (folder / "convolution.py").symlink_to(SOLUTION / "convolution.py")
    staged = intake.stage(folder, tmp_path / "staged")
    text = staged_text(staged)
    assert text.startswith("raise ImportError(") and "`convolution.py`" in text and "symbolic link" in text
    assert "def conv2d" not in text and "numpy" not in text          # nothing of the target
    assert any("symbolic link" in note for note in staged.notes)
    assert staged_text(staged, "assignment") == "x = 1\n"             # the other module is still graded


def test_a_link_to_a_root_only_file_is_refused_without_reading_it(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 'do not show'\n")
    os.chmod(secret, 0o600)
    folder = folder_with(tmp_path)
    (folder / "convolution.py").symlink_to(secret)
    assert "do not show" not in staged_text(intake.stage(folder, tmp_path / "staged"))


def test_a_symlinked_folder_is_not_entered(tmp_path):
    elsewhere = folder_with(tmp_path, **{"convolution.py": HONEST})
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "code").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(intake.SubmissionError, match="No `convolution.py`"):
        intake.stage(submission, tmp_path / "staged")


def test_a_hard_link_is_refused(tmp_path):
    original = tmp_path / "original.py"
    original.write_text(HONEST)
    folder = folder_with(tmp_path)
    os.link(original, folder / "convolution.py")
    staged = intake.stage(folder, tmp_path / "staged")
    assert "hard link" in staged_text(staged) and "np.zeros" not in staged_text(staged)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    folder = folder_with(tmp_path)
    os.mkfifo(folder / "convolution.py")
    assert "named pipe" in staged_text(intake.stage(folder, tmp_path / "staged"))


def test_a_device_is_refused(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "convolution.py").symlink_to("/dev/zero")
    assert "symbolic link" in staged_text(intake.stage(folder, tmp_path / "staged"))
    if os.geteuid() == 0:
        os.unlink(folder / "convolution.py")
        os.mknod(folder / "convolution.py", 0o644 | stat.S_IFCHR, os.makedev(1, 5))   # /dev/zero's numbers
        assert "device" in staged_text(intake.stage(folder, tmp_path / "staged2"))


def test_the_submission_itself_may_not_be_a_link(tmp_path):
    folder = folder_with(tmp_path, **{"convolution.py": HONEST})
    (tmp_path / "linked").symlink_to(folder, target_is_directory=True)
    with pytest.raises(intake.SubmissionError, match="symbolic link"):
        intake.stage(tmp_path / "linked", tmp_path / "staged")
    (tmp_path / "single.py").symlink_to(SOLUTION / "convolution.py")
    with pytest.raises(intake.SubmissionError, match="symbolic link"):
        intake.stage(tmp_path / "single.py", tmp_path / "staged2")


def test_an_oversized_source_is_refused_with_its_size(tmp_path):
    folder = folder_with(tmp_path, **{"convolution.py": "x = 1\n" * (MAX_SOURCE_BYTES // 6 + 10) + HONEST})
    staged = intake.stage(folder, tmp_path / "staged")
    assert "larger than 256 KB" in staged_text(staged) and len(staged_text(staged)) < 1000


def zip_with(path, members):
    """members: (name, bytes, unix mode) triples."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def test_a_zip_member_that_is_a_symlink_is_not_unpacked(tmp_path):
    archive = zip_with(tmp_path / "up.zip", [
        ("convolution.py", str(SOLUTION / "convolution.py").encode(), stat.S_IFLNK | 0o777),
        ("assignment.py", b"x = 1\n", stat.S_IFREG | 0o644)])
    with pytest.raises(intake.SubmissionError, match=r"No `convolution.py`.*`convolution.py` in `up.zip` was not "
                                                     r"unpacked: it is a symbolic link"):
        intake.stage(archive, tmp_path / "staged")
    assert not (tmp_path / "staged-unzipped" / "convolution.py").exists()


@pytest.mark.parametrize("name", ["../escape.py", "/tmp/absolute.py", "a/../../escape.py"])
def test_a_zip_member_leaving_the_folder_refuses_the_zip(tmp_path, name):
    archive = zip_with(tmp_path / "up.zip", [("convolution.py", HONEST.encode(), stat.S_IFREG | 0o644),
                                             (name, b"x = 1\n", stat.S_IFREG | 0o644)])
    with pytest.raises(intake.SubmissionError, match="outside the archive"):
        intake.stage(archive, tmp_path / "staged")
    assert not (tmp_path / "escape.py").exists()


def test_a_zip_is_counted_as_it_unpacks(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("convolution.py", HONEST)
        with zipped.open("padding.bin", "w") as stream:
            for _ in range(51):
                stream.write(bytes(1024 * 1024))
    assert archive.stat().st_size < 1024 * 1024
    with pytest.raises(intake.SubmissionError, match="more than 50 MB"):
        intake.stage(archive, tmp_path / "staged")


def test_a_zip_of_400000_empty_members_is_refused_before_its_members_are_listed(tmp_path):
    # Before, zipfile built an object per member first: 4 s and ~200 MB for this 34 MB zip.
    archive = tmp_path / "flood.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("convolution.py", HONEST)
        for number in range(400_000):
            zipped.writestr(f"{number:x}", b"")
    assert archive.stat().st_size < intake.MAX_UNZIPPED_BYTES
    started = time.monotonic()
    with pytest.raises(intake.SubmissionError, match=r"`flood.zip` holds more than 10000 files"):
        intake.stage(archive, tmp_path / "staged")
    assert time.monotonic() - started < 1       # measured 0.02 s


def test_a_regular_zip_one_folder_deep_is_staged(tmp_path):
    archive = zip_with(tmp_path / "up.zip", [("hw/convolution.py", HONEST.encode(), stat.S_IFREG | 0o644),
                                             ("__MACOSX/hw/._convolution.py", b"\0\0", stat.S_IFREG | 0o644)])
    staged = intake.stage(archive, tmp_path / "staged")
    assert staged_text(staged) == HONEST and staged.modules == ("convolution",)


def test_a_notebook_with_too_much_code_is_refused_before_parsing(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    notebook = new_notebook(cells=[new_code_cell("x = 1\n" * (300 * 1024 // 6))])
    path = tmp_path / "big.ipynb"
    nbformat.write(notebook, str(path))
    with pytest.raises(intake.SubmissionError, match="characters of code"):
        intake.stage(path, tmp_path / "staged")
