"""Grading a class: find the submissions, grade them in parallel into OUT/<name>/, then write OUT/grades.csv and a
summary. A finished submission's results are on disk at once, so an interrupted run loses nothing and a re-run
resumes: a submission already graded by the same autograder version, unchanged since, is not graded again.

    python -m autograder grade SUBMISSIONS... [--out DIR] [--jobs N] [--force] [--shard I/N]
    python -m autograder merge OUT_DIRS... --out DIR        (after sharding a class across machines)
"""
import argparse
import concurrent.futures
import hashlib
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from autograder import intake
from autograder.grade import grade_submission, version
from autograder.results import SubmissionResult, load_result, write_csv

SUBMISSION_SUFFIXES = (".zip", ".py", ".ipynb")
GRADESCOPE_METADATA = "submission_metadata.yml"


def is_submission(path):
    path = Path(path)
    if path.is_file():
        return path.suffix in SUBMISSION_SUFFIXES
    return path.is_dir() and (bool(intake.find_modules(path, one_level_down=False))
                              or any(path.glob("*.ipynb")))


def find_submissions(paths):
    """{name: (path, student)} for each path that is a submission, or each submission one level inside a folder.

    A Gradescope "Export Submissions" folder is recognised by its submission_metadata.yml, which names the students.
    """
    found = {}
    for path in map(Path, paths):
        if is_submission(path):
            candidates = [path]
        elif path.is_dir():
            candidates = sorted(child for child in path.iterdir()
                                if not child.name.startswith((".", "_")) and is_submission(child))
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
    entries = yaml.safe_load(metadata.read_text()) or {}
    students = {}
    for folder_name, entry in entries.items():
        submitters = (entry or {}).get(":submitters:", []) or (entry or {}).get(":submitters", []) or []
        students[folder_name] = ", ".join(
            f"{s.get(':name', '')} <{s.get(':email', '')}>".replace(" <>", "") for s in submitters)
    return students


def content_hash(path):
    """sha256 over a submission's files (names and bytes): a changed submission is graded again on resume."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def grade_one(name, path, student, out_dir):
    """Grade one submission into out_dir/name (runs in a pool process)."""
    return grade_submission(path, Path(out_dir) / name, student=student, submission_hash=content_hash(path))


def up_to_date(out_dir, name, path):
    """The earlier result for this submission, if it was made by this autograder version from the same files."""
    earlier = load_result(Path(out_dir) / name)
    if earlier and earlier.autograder_version == version() and earlier.submission_hash == content_hash(path):
        return earlier
    return None


def shard_of(names, shard):
    """The names of shard "i/n" (1-based): every n-th name in sorted order, starting at the i-th."""
    index, count = (int(part) for part in shard.split("/"))
    if not 1 <= index <= count:
        raise ValueError(f"--shard must be I/N with 1 <= I <= N; got {shard}")
    return sorted(names)[index - 1::count]


class Progress:
    """One line that redraws itself on a terminal (count, current submission, ETA); plain lines otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.started = time.monotonic()
        self.live = stream.isatty()

    def finished(self, result):
        self.done += 1
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        if self.live:
            self.stream.write(f"\r\033[K[{self.done}/{self.total}] {result.name}: {result.score:g}/"
                              f"{result.max_score:g}  ETA {eta:4.0f} s")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {row(result)}\n")
        self.stream.flush()


def grade_all(paths, out_dir, jobs=None, force=False, shard=None, progress=True):
    """Grade every submission under `paths` into `out_dir`; returns the SubmissionResults (in name order).

    Interrupted (Ctrl-C): finished results stay on disk, grades.csv lists them and the rest as "pending".
    """
    out_dir = Path(out_dir)
    submissions = find_submissions(paths)
    if shard:
        submissions = {name: submissions[name] for name in shard_of(submissions, shard)}
    results, pending = {}, {}
    for name, (path, student) in submissions.items():
        earlier = None if force else up_to_date(out_dir, name, path)
        if earlier:
            results[name] = earlier
        else:
            pending[name] = (path, student)
    bar = Progress(len(pending)) if progress and pending else None
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
            futures = {pool.submit(grade_one, name, path, student, out_dir): name
                       for name, (path, student) in pending.items()}
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
                if bar:
                    bar.finished(results[futures[future]])
    except KeyboardInterrupt:
        for name in submissions:
            if name not in results:
                results[name] = SubmissionResult(name=name, status="pending", student=submissions[name][1])
        write_outputs(list(results.values()), out_dir)
        raise
    ordered = [results[name] for name in sorted(results)]
    write_outputs(ordered, out_dir)
    return ordered


def write_outputs(results, out_dir):
    write_csv(results, Path(out_dir) / "grades.csv")
    (Path(out_dir) / "summary.md").write_text(summary(results))
    plot_distribution(results, Path(out_dir) / "scores.png")


def row(result):
    scores = " ".join(f"{t.number}:{t.score:g}" for t in result.tests)
    flags = f" [{', '.join(result.flags)}]" if result.flags else ""
    diagnosis = f" {result.diagnosis}" if result.diagnosis else ""
    return (f"{result.name:<26} {result.score:5.1f}/{result.max_score:g}  {result.status:<7} "
            f"{result.execution_time:5.1f}s  {scores}{flags}{diagnosis}")


def table(results):
    """The terminal table: submission, each part's score, total, status, flags and diagnosis."""
    numbers = []
    for result in results:
        numbers.extend(t.number for t in result.tests if t.number not in numbers)
    header = f"{'submission':<26} " + " ".join(f"{n:>5}" for n in numbers) + "  total  status   diagnosis / flags"
    lines = [header, "-" * len(header)]
    for result in results:
        cells = " ".join(f"{cell(result, n):>5}" for n in numbers)
        notes = ", ".join(filter(None, [result.diagnosis] + result.flags))
        lines.append(f"{result.name[:26]:<26} {cells}  {result.score:5.4g}  {result.status:<7}  {notes}")
    return "\n".join(lines)


def cell(result, number):
    """A test's score for the table; a 0-point check (the conv2d rule) shows ok or FAIL."""
    test = next((t for t in result.tests if t.number == number), None)
    if test is None:
        return "-"
    if test.max_score == 0:
        return "ok" if test.passed and result.status == "graded" else "FAIL"
    return f"{test.score:.4g}"


def summary(results):
    """Markdown: the score distribution of each part, the most common diagnoses, the flagged submissions."""
    graded = [r for r in results if r.status == "graded"]
    lines = [f"# Grading summary", "",
             f"{len(results)} submissions: {len(graded)} graded, "
             f"{sum(r.status == 'error' for r in results)} could not be graded, "
             f"{sum(r.status == 'pending' for r in results)} pending.", ""]
    if graded:
        lines += ["| part | max | min | median | mean | full marks |", "|---|---|---|---|---|---|"]
        parts = {}
        for result in graded:
            for test in result.tests:
                parts.setdefault((test.number, test.name, test.max_score), []).append(test.score)
        for (number, name, max_score), scores in sorted(parts.items(), key=lambda item: item[0][0]):
            lines.append(f"| {number} {name} | {max_score:g} | {min(scores):g} | {statistics.median(scores):g} | "
                         f"{statistics.mean(scores):.1f} | {sum(s >= max_score for s in scores)} |")
        totals = [r.score for r in graded]
        lines += [f"| **total** | {graded[0].max_score:g} | {min(totals):g} | {statistics.median(totals):g} | "
                  f"{statistics.mean(totals):.1f} | {sum(r.score >= r.max_score for r in graded)} |", ""]
    diagnoses = Counter(r.diagnosis for r in results if r.diagnosis)
    if diagnoses:
        lines += ["## Most common diagnoses", ""] + [f"- {name}: {count}" for name, count in diagnoses.most_common()]
        lines.append("")
    flagged = [r for r in results if r.flags or r.status == "error"]
    if flagged:
        lines += ["## Flagged submissions", ""] + [
            f"- {r.name}{f' ({r.student})' if r.student else ''}: {', '.join(r.flags) or r.status}" for r in flagged]
        lines.append("")
    return "\n".join(lines)


def plot_distribution(results, path):
    """A histogram of total scores, when matplotlib is installed (it is on the instructor's machine, not needed
    on Gradescope)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    totals = [r.score for r in results if r.status == "graded"]
    if not totals:
        return
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist(totals, bins=20, range=(0, max(r.max_score for r in results if r.status == "graded")))
    axes.set_xlabel("total score")
    axes.set_ylabel("submissions")
    axes.set_title(f"{len(totals)} graded submissions")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def collect(out_dirs):
    """Every SubmissionResult saved under the given output folders (one level down)."""
    results = {}
    for out_dir in map(Path, out_dirs):
        for folder in sorted(p for p in out_dir.iterdir() if p.is_dir()):
            result = load_result(folder)
            if result:
                results[result.name] = result
    return [results[name] for name in sorted(results)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="submissions, or folders of submissions")
    parser.add_argument("--out", default="build/grades", help="where results go (default: build/grades)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    parser.add_argument("--shard", help="grade only shard I of N (e.g. 2/4), for splitting a class over machines")
    args = parser.parse_args(argv)
    os.umask(0o027)     # results, grades.csv and the summary: readable by the grader's group, never by the sandbox user
    try:
        results = grade_all(args.paths, args.out, jobs=args.jobs, force=args.force, shard=args.shard)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished results are in {args.out}/ and {args.out}/grades.csv; run again to resume",
              file=sys.stderr)
        return 130
    print(table(results))
    print(f"\n{len(results)} submissions; results in {args.out}/<name>/results.json, {args.out}/grades.csv, "
          f"{args.out}/summary.md")
    return 0


def merge_main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder merge",
                                     description="merge the output folders of sharded runs into one grades.csv")
    parser.add_argument("out_dirs", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    results = collect(args.out_dirs)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    write_outputs(results, args.out)
    print(table(results))
    return 0
