"""Finding the submissions of a class: which paths are submissions, their names, and the students a Gradescope
export names. What counts as a submission file is intake.FORMATS: this module only walks folders."""
import os
import stat
from pathlib import Path

from autograder import intake

GRADESCOPE_METADATA = "submission_metadata.yml"
# The release's given files (stencil/): beside a notebook they are the student's copy of the handout, not submissions.
RELEASE_FILES = frozenset({"preprocess.py", "check.py", "pack.py", "test_public.py"})


def is_submission(path, depth=2):
    """Is `path` one submission? A regular file of one of intake.FORMATS (.zip/.py/.ipynb); or a real folder
    (never a link) holding convolution/assignment .py/.ipynb at its top (or a download's copy of the name,
    `convolution (1).py`); or a folder whose only submission file at its top is one .ipynb, with no sub-folder that is
    a submission, so that a loose notebook in a class folder is graded on its own and its neighbours too."""
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
    if any(entry.name in module_files or intake.near_name_of(entry.name) for entry in entries):
        return True
    formats = [intake.format_of(entry) for entry in entries if entry.name not in RELEASE_FILES]
    formats = [form for form in formats if form is not None]
    if len(formats) != 1 or not formats[0].stands_for_all:
        return False                  # loose files side by side (a class folder): each is a submission of its own
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


def skipped_entries(paths):
    """{entry name: why it is not graded} for what find_submissions passes over inside the folders given: every
    entry is graded or listed (hidden files, `__MACOSX` and Gradescope's metadata excepted)."""
    skipped = {}
    for path in map(Path, paths):
        if is_submission(path) or not path.is_dir():
            continue
        for child in sorted(path.iterdir()):
            if child.name.startswith((".", "_")) or child.name == GRADESCOPE_METADATA or is_submission(child) \
                    or child.is_symlink():
                continue
            skipped[child.name] = _why_not_a_submission(child)
    return skipped


def _why_not_a_submission(path):
    if not path.is_dir():
        kind = f"a {path.suffix} file" if path.suffix else "a file without an extension"
        return f"{kind}: submissions are .py, .ipynb or .zip files, or folders holding them"
    try:
        names = sorted(entry.as_posix() for entry in intake.list_entries(path, depth=1))
    except intake.SubmissionError as error:
        return str(error)
    notebooks = [name for name in names if name.endswith(".ipynb")]
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "") if names else "nothing"
    if len(notebooks) > 1:
        return f"a folder of {len(notebooks)} notebooks and no convolution.py: which one to grade is not clear ({shown})"
    return f"a folder without convolution.py or convolution.ipynb (it holds {shown})"


def gradescope_students(folder):
    """{submission folder name: "Name <email>, ..."} from a Gradescope export's submission_metadata.yml."""
    return {folder_name: ", ".join(f"{person['name']} <{person['email']}>".replace(" <>", "") for person in people)
            for folder_name, people in gradescope_submitters(folder).items()}


def gradescope_submitters(folder):
    """{submission folder name: [{"name", "email", "sid", "submitted_at"}]} from a Gradescope export's
    submission_metadata.yml (a group submission lists each member); {} for any other folder."""
    metadata = Path(folder) / GRADESCOPE_METADATA
    if not metadata.exists():
        return {}
    import yaml                       # only Gradescope exports need it (~0.06 s of every run's start otherwise)
    entries = yaml.safe_load(metadata.read_text()) or {}
    found = {}
    for folder_name, entry in entries.items():
        entry = entry or {}
        submitters = entry.get(":submitters:", []) or entry.get(":submitters", []) or []
        when = str(entry.get(":created_at:", "") or entry.get(":created_at", "") or "")
        found[folder_name] = [{"name": str(s.get(":name", "") or ""), "email": str(s.get(":email", "") or ""),
                               "sid": str(s.get(":sid", "") or ""), "submitted_at": when} for s in submitters]
    return found
