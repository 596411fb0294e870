"""Intake: turn whatever a student submitted into one staged folder of Python modules the worker can import.

Accepted: a folder or a .zip holding convolution.py (and assignment.py), possibly one folder deep; a single .py
holding everything; a single .ipynb (its code cells become the module). The staged folder holds exactly
convolution.py and, when present, assignment.py — a single-file submission is staged under both names.
"""
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

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
        source, skipped = notebook_source(path)
        module_file = destination / "_notebook.py"
        module_file.write_text(source)
        found = {module: module_file for module in MODULES}
        if skipped:
            notes.append(f"Notebook lines not run (IPython magics and shell commands): {skipped}.")
    else:
        raise SubmissionError(f"Cannot grade `{path.name}`: submit convolution.py and assignment.py "
                              "(or a folder, .zip, .py or .ipynb holding them).")
    if "convolution" not in found:
        raise SubmissionError("No `convolution.py` found in your submission. Submit convolution.py and "
                              "assignment.py at the top level of your upload.")
    for module, source in found.items():
        shutil.copyfile(source, destination / f"{module}.py")
    # preprocess.py is handed out whole; the course's copy is used, whatever the student uploaded.
    shutil.copyfile(GIVEN_PREPROCESS, destination / "preprocess.py")
    if "assignment" not in found:
        notes.append("No `assignment.py` found: the model parts cannot be graded.")
    (destination / "_notebook.py").unlink(missing_ok=True)
    return StagedSubmission(name, destination, tuple(m for m in MODULES if m in found), notes)


def find_modules(folder, one_level_down=True):
    """{module: path} for convolution.py / assignment.py at the top of `folder` (or one folder below)."""
    found = {}
    for module in MODULES:
        candidates = sorted(folder.glob(f"{module}.py"))
        if not candidates and one_level_down:
            candidates = sorted(folder.glob(f"*/{module}.py"))
        candidates = [c for c in candidates if "__MACOSX" not in c.parts]
        if candidates:
            found[module] = candidates[0]
    return found


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


def notebook_source(path):
    """(Python source of a notebook's code cells, number of magic/shell lines left out)."""
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:
        raise SubmissionError(f"`{path.name}` is not a readable Jupyter notebook ({error}).") from None
    lines, skipped = [], 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("%", "!")):
                skipped += 1
                continue
            lines.append(line)
        lines.append("")
    return "\n".join(lines), skipped
