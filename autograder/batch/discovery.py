"""Finding the submissions of a class: which paths are submissions, their names, and the students a Gradescope
export names. What counts as a submission file is intake.FORMATS: this module only walks folders."""
import os
import stat
from pathlib import Path

from autograder import intake

GRADESCOPE_METADATA = "submission_metadata.yml"


def is_submission(path, depth=2):
    """Is `path` one submission? A regular file of one of intake.FORMATS (.zip/.py/.ipynb); or a real folder
    (never a link) holding convolution/assignment .py/.ipynb at its top; or a folder holding exactly one .ipynb at its
    top beside no other submission (no .zip, no sub-folder that is a submission), so that a loose notebook in a class
    folder is graded on its own and does not swallow its neighbours."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISREG(info.st_mode):
        return intake.format_of(path) is not None
    if not stat.S_ISDIR(info.st_mode):
        return False
    try:
        entries = intake.list_entries(path, depth=1)
    except intake.SubmissionError:
        return False
    module_files = {name for module in intake.MODULES for name in intake.module_file_names(module)}
    if any(entry.name in module_files for entry in entries):
        return True
    formats = [intake.format_of(entry) for entry in entries]
    if sum(bool(form and form.stands_for_all) for form in formats) != 1 \
            or any(form and form.unpack for form in formats):
        return False
    if depth <= 0:
        return True
    return not any(is_submission(folder, depth - 1) for folder in _subfolders(path))


def _subfolders(path):
    try:
        with os.scandir(path) as listing:
            return sorted(Path(entry.path) for entry in listing if entry.is_dir(follow_symlinks=False)
                          and not entry.name.startswith((".", "_")))
    except OSError:
        return []


def find_submissions(paths):
    """{name: (path, student)} for each path that is a submission, or each submission one level inside a folder.

    A Gradescope "Export Submissions" folder is recognised by its submission_metadata.yml, which names the students.
    Inside a folder, an entry that is a symbolic link (or other special file) named like a submission is listed too:
    intake refuses it, so it gets an error row that says why instead of vanishing.
    """
    found = {}
    for path in map(Path, paths):
        if is_submission(path):
            candidates = [path]
        elif path.is_dir():
            candidates = sorted(child for child in path.iterdir()
                                if not child.name.startswith((".", "_"))
                                and (is_submission(child) or (child.is_symlink()
                                                              and (child.suffix == "" or intake.format_of(child)))))
        else:
            raise FileNotFoundError(f"no submission at {path}")
        students = gradescope_students(path) if path.is_dir() else {}
        for candidate in candidates:
            name = intake.submission_name(candidate)
            while name in found:
                name += "+"
            found[name] = (candidate, students.get(candidate.name, ""))
    return found


def gradescope_students(folder):
    """{submission folder name: "Name <email>, ..."} from a Gradescope export's submission_metadata.yml."""
    metadata = Path(folder) / GRADESCOPE_METADATA
    if not metadata.exists():
        return {}
    import yaml                       # only Gradescope exports need it (~0.06 s of every run's start otherwise)
    entries = yaml.safe_load(metadata.read_text()) or {}
    students = {}
    for folder_name, entry in entries.items():
        submitters = (entry or {}).get(":submitters:", []) or (entry or {}).get(":submitters", []) or []
        students[folder_name] = ", ".join(
            f"{s.get(':name', '')} <{s.get(':email', '')}>".replace(" <>", "") for s in submitters)
    return students
