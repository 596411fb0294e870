"""Intake: turn whatever a student submitted into one staged folder of Python modules the worker can import.

Accepted: a folder or a .zip holding convolution.py (and assignment.py), possibly one folder deep; a single .py
holding everything; a single .ipynb holding everything. In a folder or zip, convolution.ipynb / assignment.ipynb
stand for a missing .py of the same name, and when there is no convolution file at all, the one notebook there
stands for both. A notebook becomes a module by the rule in `autograder.notebooks` (definitions kept, magics and
top-level code that runs something left out; the notes say what was left out). The staged folder holds exactly
convolution.py and, when present, assignment.py — a single-file submission is staged under both names.

Only regular files are taken, and nothing is followed (the grader may run as root): every entry is looked at with
`lstat`, and a file is read through a descriptor opened with O_NOFOLLOW and checked again with `fstat`.

- A symbolic link, a hard link (a file with more than one name), a device, a named pipe or a socket is refused.
  When a module's file is refused (or is larger than `rules.MAX_SOURCE_BYTES`), the module is staged as one whose
  import fails with the reason: the parts that need it score 0 and say why (which file, why), the others are graded,
  and the summary repeats the reason. Nothing of the refused file (or of what it points to) is read or shown.
- A zip member that is a symbolic link (Info-ZIP stores the link's mode in `external_attr`) or any other special
  file is not extracted; a member whose path leaves the folder (absolute, `..`, or resolving elsewhere) refuses the
  whole zip, as do more than MAX_ENTRIES members or more than 50 MB unpacked (counted while unpacking).
- The submission path itself must be a regular file or a real folder (not a link to one).
"""
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

from autograder.notebooks import MAX_NOTEBOOK_BYTES, NotebookError, notebook_module
from autograder.rules import MAX_SOURCE_BYTES

from autograder.paths import SOLUTION

MODULES = ("convolution", "assignment")
GIVEN_PREPROCESS = SOLUTION / "preprocess.py"
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 10_000                          # files and folders looked at in one submission (or members of a zip)
# A zip's central directory is parsed whole before its members can be counted (~10 us and ~1 KB per member): it is
# bounded first. 10,000 members with paths of ~150 characters fit.
MAX_CENTRAL_DIRECTORY_BYTES = 2 * 1024 * 1024
CHUNK = 1 << 16


class SubmissionError(Exception):
    """The submission cannot be graded at all; the message is shown to the student."""


class RefusedFile(Exception):
    """One file of the submission is not taken; the message (which file, why) is shown to the student."""


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
    base = path                       # what the names of the student's files are shown relative to
    kind = _kind_of(path)
    form = format_of(path)
    if kind == "folder":
        found = find_modules(path)
    elif form is not None and form.unpack is not None:
        base = destination.parent / (destination.name + "-unzipped")
        notes.extend(form.unpack(path, base))
        found = find_modules(base)
    elif form is not None:
        found = {module: path for module in MODULES}
        if form.alone_note:
            notes.append(form.alone_note.format(name=path.name))
    else:
        suffixes = [form.suffix for form in FORMATS]
        raise SubmissionError(f"Cannot grade `{path.name}`: submit convolution.py and assignment.py "
                              f"(or a folder, {', '.join(suffixes[:-1])} or {suffixes[-1]} holding them).")
    if "convolution" not in found:
        raise SubmissionError(" ".join(["No `convolution.py` found in your submission. Submit convolution.py and "
                                        "assignment.py at the top level of your upload."] + notes))
    for module, source in found.items():
        if near_name_of(source.name) == module:
            notes.append(f"`{source.name}` was graded as `{module}{source.suffix}` (the only file of a name like it).")
    converted = {}   # a file standing for both modules is read (and reported) once
    for module, source in found.items():
        if source not in converted:
            single = source == path
            shown = source.name if single else source.relative_to(base).as_posix()
            converted[source] = _module_source(source, shown, check_links=not single)
            notes.extend(converted[source][1])
        (destination / f"{module}.py").write_text(converted[source][0], encoding="utf-8")
    # preprocess.py is handed out whole; the course's copy is used, whatever the student uploaded.
    (destination / "preprocess.py").write_bytes(GIVEN_PREPROCESS.read_bytes())
    if "assignment" not in found:
        notes.append("No `assignment.py` found: the model parts cannot be graded.")
    return StagedSubmission(name, destination, tuple(m for m in MODULES if m in found), notes)


def _kind_of(path):
    """"folder" or "file" for the submission path itself, by lstat; SubmissionError for anything else."""
    try:
        info = os.lstat(path)
    except OSError:
        raise SubmissionError(f"`{path.name}` cannot be read.") from None
    if stat.S_ISDIR(info.st_mode):
        return "folder"
    problem = file_problem(info, check_links=False)   # the instructor's own copies may be hard links
    if problem:
        raise SubmissionError(f"Cannot grade `{path.name}`: {problem}; the autograder takes only regular files.")
    return "file"


def file_problem(info, check_links=True):
    """Why an lstat result is not a regular file the grader takes ("" when it is one)."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "it is a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device"
    if stat.S_ISFIFO(mode):
        return "it is a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "it is a socket"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    if check_links and info.st_nlink > 1:
        return f"it is a hard link (the same file has {info.st_nlink} names)"
    return ""


def read_regular_file(path, limit, shown=None, check_links=True,
                      advice="a source file for this assignment is a few kilobytes"):
    """The bytes of the regular file at `path`, read without following anything. RefusedFile (which file, why)
    for a link, device, pipe or socket, a hard link (with check_links), or more than `limit` bytes (the message
    ends with `advice`)."""
    shown = shown or Path(path).name
    try:
        info = os.lstat(path)
    except OSError as error:
        raise RefusedFile(f"`{shown}` cannot be read ({error.strerror}).") from None
    problem = file_problem(info, check_links)
    if problem:
        raise RefusedFile(f"`{shown}` was not graded: {problem}; the autograder takes only regular files. "
                          "Upload the file itself.")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise RefusedFile(f"`{shown}` cannot be read ({error.strerror}).") from None
    with os.fdopen(descriptor, "rb") as stream:
        opened = os.fstat(stream.fileno())
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino) or file_problem(opened, check_links):
            raise RefusedFile(f"`{shown}` changed while it was read; it was not graded.")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise RefusedFile(f"`{shown}` was not graded: it is larger than {_size(limit)}, the most the autograder "
                          f"takes for such a file ({advice}).")
    return data


def _size(count):
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count // 1024} KB"


def _module_source(path, shown, check_links=True):
    """(module source, student-facing notes) of one submitted file, by its format (FORMATS).

    A refused file becomes a module whose import fails with the reason, so the parts needing it say why."""
    form = format_of(path)
    try:
        data = read_regular_file(path, form.max_bytes, shown, check_links, form.too_large_advice)
    except RefusedFile as refused:
        return refused_module(str(refused)), [str(refused)]
    source, notes = form.to_module(path, data)
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        message = (f"`{shown}` was not graded: its code is larger than {_size(MAX_SOURCE_BYTES)}; a source file "
                   "for this assignment is a few kilobytes.")
        return refused_module(message), [message]
    return source, notes


def _python_module(path, data):
    return data.decode("utf-8", errors="replace"), []


def _notebook_module(path, data):
    try:
        source, report = notebook_module(path, data=data)
    except NotebookError as error:
        raise SubmissionError(str(error)) from None
    return source, report.notes()


def refused_module(message):
    """The source of a module whose import fails with `message` (a refused file's stand-in)."""
    return f"raise ImportError({message!r})\n"


def find_modules(folder, one_level_down=True):
    """{module: path} for convolution / assignment at the top of `folder` (or one folder below).

    A module's .py wins over its .ipynb; with neither convolution.py nor convolution.ipynb, a folder holding exactly
    one notebook is a notebook submission: that notebook stands for every module without a file of its own.
    Entries are listed without following links (a link to a folder is never entered); a link or other special file
    is still returned under its name, so that staging refuses it and says why.
    """
    entries = list_entries(folder, depth=2 if one_level_down else 1)
    found = {}
    for module in MODULES:
        for name in module_file_names(module):
            candidates = _files(entries, lambda entry: entry.name == name, one_level_down)
            if candidates:
                found[module] = Path(folder, *candidates[0].parts)
                break
        else:       # `convolution (1).py`, as a browser or an LMS download names it: taken when it is the only one
            near = _files(entries, lambda entry: near_name_of(entry.name) == module, one_level_down)
            if len(near) == 1:
                found[module] = Path(folder, *near[0].parts)
    if "convolution" not in found:
        notebooks = _files(entries, lambda entry: getattr(format_of(entry), "stands_for_all", False), one_level_down)
        if len(notebooks) == 1:
            notebook = Path(folder, *notebooks[0].parts)
            found = {module: found.get(module, notebook) for module in MODULES}
    return found


NEAR_NAME = re.compile(r"^(?P<module>[a-z]+)(?:[ _-]*\(\d+\)|[ _-]+\d+|[ _-]*copy)?(?P<suffix>\.py|\.ipynb)$",
                       re.IGNORECASE)


def near_name_of(file_name):
    """The module a file name stands for when it is that module's name with a download's copy number
    ("convolution (1).py", "Convolution-2.py", "convolution copy.py"), else None."""
    found = NEAR_NAME.match(file_name)
    if found and found["module"].lower() in MODULES and file_name not in module_file_names(found["module"].lower()):
        return found["module"].lower()
    return None


def list_entries(folder, depth=2):
    """Relative paths (PurePosixPath) of every non-folder entry down to `depth` levels, by lstat, links not
    followed; macOS zip debris and notebook checkpoints left out. SubmissionError beyond MAX_ENTRIES entries."""
    entries, pending, seen = [], [(Path(folder), PurePosixPath(), 1)], 0
    while pending:
        directory, relative, level = pending.pop()
        try:
            with os.scandir(directory) as listing:
                children = sorted(listing, key=lambda child: child.name)
        except OSError:
            continue
        for child in children:
            seen += 1
            if seen > MAX_ENTRIES:
                raise SubmissionError(f"Your submission holds more than {MAX_ENTRIES} files and folders; submit "
                                      "convolution.py and assignment.py.")
            if child.name in ("__MACOSX", ".ipynb_checkpoints"):
                continue
            if child.is_dir(follow_symlinks=False):
                if level < depth:
                    pending.append((Path(child.path), relative / child.name, level + 1))
            else:
                entries.append(relative / child.name)
    return sorted(entries)


def _files(entries, wanted, one_level_down):
    """Entries matching `wanted` at the top, else (if allowed) one folder down."""
    candidates = [entry for entry in entries if len(entry.parts) == 1 and wanted(entry)]
    if not candidates and one_level_down:
        candidates = [entry for entry in entries if len(entry.parts) == 2 and wanted(entry)]
    return candidates


def _safe_unzip(archive, destination):
    """Extract a zip into the new folder `destination`; returns student-facing notes.

    Only regular files are extracted (symbolic links and other special members are left out, with a note); a
    member whose path leaves the folder, more than MAX_ENTRIES members or more than 50 MB unpacked (counted as it
    is written, not trusted from the archive) refuse the whole zip. Nothing is followed while writing."""
    notes = []
    try:
        data = read_regular_file(archive, MAX_UNZIPPED_BYTES, archive.name, check_links=False)
    except RefusedFile as refused:
        raise SubmissionError(str(refused)) from None
    destination.mkdir(parents=True)
    root = destination.resolve()
    written = 0
    try:
        _check_central_directory(archive.name, data)
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_ENTRIES:
                raise SubmissionError(f"`{archive.name}` holds more than {MAX_ENTRIES} files.")
            for member in members:
                relative = PurePosixPath(member.filename.replace("\\", "/"))
                target = (destination / member.filename).resolve()
                if relative.is_absolute() or ".." in relative.parts or \
                        (root != target and root not in target.parents):
                    raise SubmissionError(f"`{archive.name}` holds a path outside the archive: {member.filename}")
            for member in members:
                mode = member.external_attr >> 16
                kind = stat.S_IFMT(mode)
                if member.is_dir() or kind == stat.S_IFDIR:
                    (destination / member.filename).mkdir(parents=True, exist_ok=True)
                    continue
                if kind not in (0, stat.S_IFREG):
                    problem = file_problem(os.stat_result((mode,) + (0,) * 9))
                    notes.append(f"`{member.filename}` in `{archive.name}` was not unpacked: {problem}; the "
                                 "autograder takes only regular files. Upload the file itself.")
                    continue
                target = destination / member.filename
                _make_folders(destination, target.parent)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
                try:
                    descriptor = os.open(target, flags, 0o644)
                except FileExistsError:
                    raise SubmissionError(f"`{archive.name}` holds `{member.filename}` twice.") from None
                with os.fdopen(descriptor, "wb") as out, zipped.open(member) as stream:
                    while True:
                        chunk = stream.read(CHUNK)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > MAX_UNZIPPED_BYTES:
                            raise SubmissionError(f"`{archive.name}` unpacks to more than 50 MB.")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise SubmissionError(f"`{archive.name}` is not a valid zip file ({error}).") from None
    except (OSError, RuntimeError) as error:
        # e.g. a member named like a folder that is already a file, or an encrypted member
        raise SubmissionError(f"`{archive.name}` could not be unpacked ({error}).") from None
    return notes


def _check_central_directory(name, data):
    """SubmissionError when the zip's central directory announces more than MAX_ENTRIES members or more than
    MAX_CENTRAL_DIRECTORY_BYTES, read from the end record the way zipfile reads it (its own reader, zip64 included),
    before zipfile builds an object per member."""
    record = zipfile._EndRecData(io.BytesIO(data))
    if record is None:
        raise zipfile.BadZipFile("File is not a zip file")
    if record[zipfile._ECD_ENTRIES_TOTAL] > MAX_ENTRIES or record[zipfile._ECD_SIZE] > MAX_CENTRAL_DIRECTORY_BYTES:
        raise SubmissionError(f"`{name}` holds more than {MAX_ENTRIES} files (or a list of its files larger than "
                              f"{MAX_CENTRAL_DIRECTORY_BYTES // (1024 * 1024)} MB); zip only convolution.py and "
                              "assignment.py.")


def _make_folders(root, folder):
    """Create `folder` under `root` one level at a time, refusing to go through anything but a real folder."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        try:
            os.mkdir(current)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise SubmissionError(f"the zip holds both a file and a folder named `{part}`.") from None


# -- what a student may submit ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Format:
    """One kind of file a student may submit: a module file (`to_module` turns its bytes into (source, notes)) or
    a container (`unpack(path, folder)` extracts it and returns notes; the folder is then searched for modules)."""
    suffix: str
    to_module: Optional[Callable] = None
    unpack: Optional[Callable] = None
    max_bytes: int = MAX_SOURCE_BYTES
    stands_for_all: bool = False    # the one file of this kind in a folder without convolution files is the submission
    alone_note: str = ""            # said when a file of this kind is submitted on its own ({name}: its name)
    too_large_advice: str = "a source file for this assignment is a few kilobytes"   # past max_bytes


# Every submission format; module files in order of preference in a folder (a module's .py wins over its .ipynb).
# Adding a format is one entry here (and its reader above): discovery (autograder.batch.discovery), staging and the
# messages read this list.
FORMATS = (
    Format(".zip", unpack=_safe_unzip),
    Format(".py", to_module=_python_module,
           alone_note="`{name}` was graded as both convolution.py and assignment.py."),
    Format(".ipynb", to_module=_notebook_module, max_bytes=MAX_NOTEBOOK_BYTES, stands_for_all=True,
           too_large_advice="stored outputs make notebooks large: in Jupyter choose Edit > Clear All Outputs, "
                            "save, and resubmit"),
)


def format_of(path):
    """The Format of a file by its name, or None."""
    name = PurePosixPath(path).name
    return next((form for form in FORMATS if name.endswith(form.suffix)), None)


def module_file_names(module):
    """The file names that stand for `module` in a folder, preferred first: convolution.py, convolution.ipynb."""
    return [f"{module}{form.suffix}" for form in FORMATS if form.to_module is not None]

