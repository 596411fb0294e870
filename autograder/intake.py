"""Intake: turn whatever a student submitted into one staged folder of Python modules the worker can import.

Accepted: a folder or a .zip holding convolution.py (and assignment.py), possibly one folder deep; a single .py
holding everything; a single .ipynb holding everything. In a folder or zip, convolution.ipynb / assignment.ipynb
stand for a missing .py of the same name, and when there is no convolution file at all, the one notebook there
stands for both. A notebook becomes a module by the rule in `autograder.notebooks` (definitions kept, magics and
top-level code that runs something left out; the notes say what was left out). The staged folder holds exactly
convolution.py and, when present, assignment.py — a single-file submission is staged under both names.
"""
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.notebooks import NotebookError, notebook_module

MODULES = ("convolution", "assignment")
GIVEN_PREPROCESS = Path(__file__).resolve().parent.parent / "solution" / "preprocess.py"
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024


class SubmissionError(Exception):
    """The submission cannot be graded at all; the message is shown to the student."""


@dataclass
class StagedSubmission:
    name: str
    directory: Path
    modules: tuple                                # which of MODULES are present
    notes: list = field(default_factory=list)     # student-facing remarks about the intake


def submission_name(path):
    path = Path(path)
    return path.stem if path.is_file() else path.name


def stage(path, destination):
    """Stage the submission at `path` into the empty folder `destination`; returns a StagedSubmission."""
    path, destination = Path(path), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    name = submission_name(path)
    notes = []
    if path.is_dir():
        found = find_modules(path)
    elif path.suffix == ".zip":
        unpacked = destination.parent / (destination.name + "-unzipped")
        _safe_unzip(path, unpacked)
        found = find_modules(unpacked)
    elif path.suffix == ".py":
        found = {module: path for module in MODULES}
        notes.append(f"`{path.name}` was graded as both convolution.py and assignment.py.")
    elif path.suffix == ".ipynb":
        found = {module: path for module in MODULES}
    else:
        raise SubmissionError(f"Cannot grade `{path.name}`: submit convolution.py and assignment.py "
                              "(or a folder, .zip, .py or .ipynb holding them).")
    if "convolution" not in found:
        raise SubmissionError("No `convolution.py` found in your submission. Submit convolution.py and "
                              "assignment.py at the top level of your upload.")
    converted = {}   # a notebook standing for both modules is converted (and reported) once
    for module, source in found.items():
        if source.suffix == ".ipynb":
            if source not in converted:
                converted[source] = _notebook_as_module(source)
                notes.extend(converted[source][1])
            (destination / f"{module}.py").write_text(converted[source][0], encoding="utf-8")
        else:
            shutil.copyfile(source, destination / f"{module}.py")
    # preprocess.py is handed out whole; the course's copy is used, whatever the student uploaded.
    shutil.copyfile(GIVEN_PREPROCESS, destination / "preprocess.py")
    if "assignment" not in found:
        notes.append("No `assignment.py` found: the model parts cannot be graded.")
    return StagedSubmission(name, destination, tuple(m for m in MODULES if m in found), notes)


def find_modules(folder, one_level_down=True):
    """{module: path} for convolution / assignment at the top of `folder` (or one folder below).

    A module's .py wins over its .ipynb; with neither convolution.py nor convolution.ipynb, a folder holding exactly
    one notebook is a notebook submission: that notebook stands for every module without a file of its own.
    """
    found = {}
    for module in MODULES:
        for name in (f"{module}.py", f"{module}.ipynb"):
            candidates = _files(folder, name, one_level_down)
            if candidates:
                found[module] = candidates[0]
                break
    if "convolution" not in found:
        notebooks = _files(folder, "*.ipynb", one_level_down)
        if len(notebooks) == 1:
            found = {module: found.get(module, notebooks[0]) for module in MODULES}
    return found


def _files(folder, pattern, one_level_down):
    """Files matching `pattern` at the top of folder, else (if allowed) one folder down; macOS zip debris left out."""
    candidates = sorted(Path(folder).glob(pattern))
    if not candidates and one_level_down:
        candidates = sorted(Path(folder).glob(f"*/{pattern}"))
    return [c for c in candidates if c.is_file() and "__MACOSX" not in c.parts
            and ".ipynb_checkpoints" not in c.parts]


def _safe_unzip(archive, destination):
    """Extract a zip, refusing paths that escape the folder and archives that unpack to more than 50 MB."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES:
                raise SubmissionError(f"`{archive.name}` unpacks to more than 50 MB.")
            root = destination.resolve()
            for member in members:
                target = (destination / member.filename).resolve()
                if root != target and root not in target.parents:
                    raise SubmissionError(f"`{archive.name}` holds a path outside the archive: {member.filename}")
            zipped.extractall(destination)
    except zipfile.BadZipFile:
        raise SubmissionError(f"`{archive.name}` is not a valid zip file.") from None


def _notebook_as_module(path):
    """(module source, student-facing notes) of a notebook; SubmissionError when it cannot be read."""
    try:
        source, report = notebook_module(path)
    except NotebookError as error:
        raise SubmissionError(str(error)) from None
    return source, report.notes()
