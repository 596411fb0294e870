"""Build the Gradescope autograder zip: `python -m autograder.gradescope.package [--out dist/autograder.zip]`.

The zip holds, at its root, setup.sh and run_autograder, then what grading needs and nothing more: the `autograder`
package (fixtures, public and hidden, and the configuration included), requirements.txt and the two locks setup.sh
installs (requirements/pip.txt, requirements/grading-py310.txt: every package pinned, with hashes), and from
solution/ only convolution.py (the reference the performance budget is timed against) and preprocess.py (handed to
every submission). The answers in solution/assignment.py stay out. The bytes depend only on the files' contents: entries
are sorted, timestamps and permissions fixed.
"""
import argparse
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
ROOT_SCRIPTS = ("setup.sh", "run_autograder")
SOLUTION_FILES = ("convolution.py", "preprocess.py")
LOCKS = ("requirements/pip.txt", "requirements/grading-py310.txt")     # what setup.sh installs, in this order
FIXED_TIME = (1980, 1, 1, 0, 0, 0)          # the earliest time a zip can hold
SKIPPED_PARTS = ("__pycache__", ".pytest_cache")
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".tmp")


def zip_entries(repo=REPO):
    """{name in the zip: file on disk}, everything the autograder zip holds."""
    entries = {name: HERE / name for name in ROOT_SCRIPTS}
    for name in ("requirements.txt", *LOCKS):
        entries[name] = repo / name
    for name in SOLUTION_FILES:
        entries[f"solution/{name}"] = repo / "solution" / name
    for path in sorted((repo / "autograder").rglob("*")):
        relative = path.relative_to(repo)
        skipped = (any(part in SKIPPED_PARTS or part.startswith(".") for part in relative.parts)
                   or path.suffix in SKIPPED_SUFFIXES or path.parent == HERE and path.name in ROOT_SCRIPTS)
        if path.is_file() and not skipped:
            entries[relative.as_posix()] = path
    return entries


def build(out, repo=REPO):
    """Write the zip to `out` (its folder is created); returns the list of names in it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = zip_entries(repo)
    missing = [str(path) for path in entries.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"cannot build the autograder zip, missing: {', '.join(missing)}")
    temporary = out.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3                               # Unix, so that the permissions below apply
            executable = name in ROOT_SCRIPTS
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
    temporary.replace(out)
    return sorted(entries)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.package", description=__doc__)
    parser.add_argument("--out", default=str(REPO / "dist" / "autograder.zip"), help="default: dist/autograder.zip")
    out = Path(parser.parse_args(argv).out)
    names = build(out)
    print(f"{out}: {len(names)} files, {out.stat().st_size / 1024:.0f} KB. Upload it in Gradescope: "
          "Configure Autograder -> Zip file upload (see README, 'Gradescope').")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
