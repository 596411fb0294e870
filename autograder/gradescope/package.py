"""Build the Gradescope autograder zip: `python -m autograder.gradescope.package [--out dist/autograder.zip]
[--config course.toml]`.

The zip holds, at its root, setup.sh and run_autograder, then what grading needs and nothing more: the `autograder`
package without the development tools (DEVELOPMENT_ONLY: benchmark, verdicts, stencil, similarity, ...; fixtures,
public and hidden, and the configuration included), requirements.txt and the two locks setup.sh installs
(requirements/pip.txt, requirements/grading-py310.txt: every package pinned, with hashes), and from solution/ only
convolution.py (the reference the performance budget is timed against) and preprocess.py (handed to every
submission). The answers in solution/assignment.py stay out. With --config, the course's settings file travels as
config.toml (entry.py grades with it). fallback-results.json is the results.json run_autograder writes, with plain
shell, when the grader did not finish: every test at 0 and the reason. The bytes depend only on the files' contents:
entries are sorted, timestamps and permissions fixed.
"""
import argparse
import zipfile
from pathlib import Path

from autograder.paths import COURSE_CONFIG, ROOT, atomic_file

HERE = Path(__file__).resolve().parent
ROOT_SCRIPTS = ("setup.sh", "run_autograder")
SOLUTION_FILES = ("convolution.py", "preprocess.py")
LOCKS = ("requirements/pip.txt", "requirements/grading-py310.txt")     # what setup.sh installs, in this order
CONFIG_NAME = COURSE_CONFIG.name           # the course's settings, beside the package; entry.py loads them
FALLBACK_NAME = "fallback-results.json"     # run_autograder's template (see autograder.report.fallback_template)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)          # the earliest time a zip can hold
SKIPPED_PARTS = ("__pycache__", ".pytest_cache")
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".tmp")
# Development tools: grading (autograder.gradescope.entry, autograder.grade and what they import) never needs them.
DEVELOPMENT_ONLY = ("bench.py", "build_fixtures.py", "verdicts.py", "stencil.py", "selfcheck.py", "similarity.py",
                    "similarity_report.py", "synthetic_class.py", "regrade_diff.py", "gradescope/measure.py",
                    "gradescope/package.py")


def zip_entries(repo=ROOT, config=None):
    """{name in the zip: file on disk (or bytes)}, everything the autograder zip holds."""
    entries = {name: HERE / name for name in ROOT_SCRIPTS}
    for name in ("requirements.txt", *LOCKS):
        entries[name] = repo / name
    for name in SOLUTION_FILES:
        entries[f"solution/{name}"] = repo / "solution" / name
    package = repo / "autograder"
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(repo)
        skipped = (any(part in SKIPPED_PARTS or part.startswith(".") for part in relative.parts)
                   or path.suffix in SKIPPED_SUFFIXES or path.parent == HERE and path.name in ROOT_SCRIPTS
                   or path.relative_to(package).as_posix() in DEVELOPMENT_ONLY)
        if path.is_file() and not skipped:
            entries[relative.as_posix()] = path
    if config is not None:
        entries[CONFIG_NAME] = Path(config)
    entries[FALLBACK_NAME] = fallback_results(config).encode()
    return entries


def fallback_results(config=None):
    """The fallback template: Gradescope's results.json with every test (of `config`) at 0."""
    from autograder.config import CONFIG, load
    from autograder.grade import zero_tests
    from autograder.report import fallback_template, student_safe
    settings = load(config) if config is not None else CONFIG
    return fallback_template(zero_tests("", settings), lambda data: student_safe(data, quiet=True))


def build(out, repo=ROOT, config=None):
    """Write the zip to `out` (its folder is created); returns the list of names in it. `config`: a TOML file of
    settings (autograder.config.load checks it now, not on Gradescope)."""
    out = Path(out)
    entries = zip_entries(repo, config)
    missing = [str(path) for path in entries.values() if isinstance(path, Path) and not path.is_file()]
    if missing:
        raise FileNotFoundError(f"cannot build the autograder zip, missing: {', '.join(missing)}")
    with atomic_file(out, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3                               # Unix, so that the permissions below apply
            executable = name in ROOT_SCRIPTS
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = entries[name]
            archive.writestr(info, data if isinstance(data, bytes) else data.read_bytes(), compresslevel=9)
    return sorted(entries)


def add_arguments(parser):
    parser.add_argument("--out", default=str(ROOT / "dist" / "autograder.zip"), help="default: dist/autograder.zip")
    parser.add_argument("--config", metavar="FILE",
                        help="a TOML file of settings (see README, 'Configuration'), graded with on Gradescope")
    parser.set_defaults(parser=parser)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.package", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args):
    """`python -m autograder package` (or `python -m autograder.gradescope.package`), from its parsed arguments."""
    out = Path(args.out)
    from autograder.config import ConfigError
    try:
        names = build(out, config=args.config)
    except (ConfigError, OSError) as error:
        args.parser.error(str(error))
    print(f"{out}: {len(names)} files, {out.stat().st_size / 1024:.0f} KB. Upload it in Gradescope: "
          "Configure Autograder -> Zip file upload (see README, 'Gradescope').")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
