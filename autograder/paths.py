"""Where things are, found once, and the one way files are written.

    ROOT      the repository (or, on Gradescope, the unpacked zip: ROOT/autograder is this package)
    SOLUTION  ROOT/solution: the reference convolution and the given preprocess.py
    COURSE_CONFIG  ROOT/config.toml: the course's settings, in a Gradescope zip built with --config

`write_atomically` is how every output is written: a reader (Gradescope, a resumed batch, merge) sees the old file
or the new one, never half of one; a crash leaves no temporary behind.
"""
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
SOLUTION = ROOT / "solution"
COURSE_CONFIG = ROOT / "config.toml"     # a course's settings in the Gradescope zip (package.py --config)


@contextmanager
def atomic_file(path, mode="w", **options):
    """Open a temporary file beside `path` (its folder is created); it replaces `path` when the block ends
    without an error, and is removed otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, mode, **options) as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~_umask())          # mkstemp makes 0600: give the file the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path, data):
    """Write `data` (str or bytes) to `path` atomically (see atomic_file)."""
    with atomic_file(path, "wb" if isinstance(data, bytes) else "w") as stream:
        stream.write(data)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
