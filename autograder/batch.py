"""Grading many submissions: find them, grade each into OUT/<name>/, and write OUT/grades.csv and a table."""
import argparse
from pathlib import Path

from autograder import intake
from autograder.grade import grade_submission
from autograder.results import write_csv

SUBMISSION_SUFFIXES = (".zip", ".py", ".ipynb")


def is_submission(path):
    path = Path(path)
    if path.is_file():
        return path.suffix in SUBMISSION_SUFFIXES
    return path.is_dir() and bool(intake.find_modules(path, one_level_down=False))


def find_submissions(paths):
    """Each path is a submission, or a folder of submissions (one level down)."""
    found = []
    for path in map(Path, paths):
        if is_submission(path):
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(child for child in path.iterdir()
                                if not child.name.startswith((".", "_")) and is_submission(child)))
        else:
            raise FileNotFoundError(f"no submission at {path}")
    return found


def grade_all(paths, out_dir, report=print):
    """Grade every submission under `paths` into `out_dir`; returns the list of SubmissionResult."""
    out_dir = Path(out_dir)
    results = []
    for path in find_submissions(paths):
        result = grade_submission(path, out_dir / intake.submission_name(path))
        results.append(result)
        report(row(result))
    write_csv(results, out_dir / "grades.csv")
    return results


def row(result):
    scores = " ".join(f"{t.number}:{t.score:g}/{t.max_score:g}" for t in result.tests)
    flags = f" [{', '.join(result.flags)}]" if result.flags else ""
    diagnosis = f" — {result.diagnosis}" if result.diagnosis else ""
    return (f"{result.name:<28} {result.score:6.1f}/{result.max_score:g}  {result.status:<6} "
            f"{result.execution_time:5.1f}s  {scores}{flags}{diagnosis}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__)
    parser.add_argument("paths", nargs="+", help="submissions, or folders of submissions")
    parser.add_argument("--out", default="build/grades", help="where results go (default: build/grades)")
    args = parser.parse_args(argv)
    results = grade_all(args.paths, args.out)
    print(f"{len(results)} graded; results in {args.out}/, table in {args.out}/grades.csv")
    return 0
