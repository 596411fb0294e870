"""Resuming a class: a submission already graded by the same autograder version, from the same files, is not graded
again (its grader.json is kept); error rows the batch itself made (BATCH_FLAGS) are."""
import hashlib
import os
import stat
from pathlib import Path

from autograder import intake
from autograder.batch.pool import BATCH_FLAGS
from autograder.config import CONFIG
from autograder.grade import version
from autograder.results import load_result


def submission_hash_of(path):
    """sha256 over a submission's files (names and bytes): a changed submission is graded again on resume.

    Nothing is followed: a link counts by its target's name, a device or pipe by its kind, never by content."""
    path = Path(path)
    digest = hashlib.sha256()
    if os.path.islink(path) or not path.is_dir():
        files = [(path, path.name)]
    else:
        files = []
        for folder, folders, names in os.walk(path):        # os.walk does not enter links to folders
            folders.sort()
            files.extend((Path(folder, name), Path(folder, name).relative_to(path).as_posix())
                         for name in sorted(names + [f for f in folders if os.path.islink(os.path.join(folder, f))]))
    for file, shown in files:
        digest.update(shown.encode())
        try:
            info = os.lstat(file)
            if stat.S_ISLNK(info.st_mode):
                digest.update(b"link:" + os.fsencode(os.readlink(file)))
            elif stat.S_ISREG(info.st_mode):
                digest.update(intake.read_regular_file(file, intake.MAX_NOTEBOOK_BYTES, check_links=False))
            else:
                digest.update(f"special:{stat.S_IFMT(info.st_mode)}".encode())
        except (OSError, intake.RefusedFile) as error:
            digest.update(f"unreadable:{error}".encode())
    return digest.hexdigest()


def up_to_date(out_dir, name, path, config=CONFIG):
    """The earlier result for this submission, if it was made by this autograder version, with these settings,
    from the same files."""
    earlier = load_result(Path(out_dir) / name)
    if earlier and earlier.autograder_version == version(config) \
            and earlier.submission_hash == submission_hash_of(path) and not set(earlier.flags) & set(BATCH_FLAGS):
        return earlier
    return None
