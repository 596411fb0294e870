"""Grading a class: find the submissions, grade them in parallel into OUT/<name>/, then write OUT/grades.csv and a
summary. A finished submission's results are on disk at once, so an interrupted run loses nothing and a re-run
resumes: a submission already graded by the same autograder version, unchanged since, is not graded again.

    python -m autograder grade SUBMISSIONS... [--out DIR] [--jobs N] [--force] [--shard I/N | --shard auto [--shards N]]
    python -m autograder merge OUT_DIRS... --out DIR [--partial]   (after sharding a class across machines)

By concern: discovery.py (which paths are submissions), pool.py (a process pool with time limits), resume.py (what
is already graded), shards.py (splitting a class over machines, merging); every file is written by autograder.report.
"""
import os
import signal
import sys
import time
from pathlib import Path

from autograder import report
from autograder.batch.discovery import (find_submissions, gradescope_students, gradescope_submitters,  # noqa: F401
                                       is_submission, skipped_entries)
from autograder.batch.pool import BATCH_FLAGS, TimeLimitExceeded, run_in_pool
from autograder.batch.resume import submission_hash_of, up_to_date
from autograder.batch.shards import (SHARD_FILE, SHARDS_ENV, ShardError, check_shards, class_digest, collect,
                                     merged, parse_shard, shard_from_environment, shard_of, write_listing)
from autograder.config import CONFIG
from autograder.grade import grade_submission, version, zero_tests
from autograder.results import SubmissionResult

TIME_LIMIT_S = 20 * 60        # one submission's whole grading, wall clock (its parts have their own limits)


def grade_one(name, path, student, out_dir, config=CONFIG):
    """Grade one submission into out_dir/name with `config` (runs in a pool process)."""
    result = grade_submission(path, name=name, student=student, submission_hash=submission_hash_of(path),
                              config=config)
    report.write_submission(result, Path(out_dir) / name)
    return result


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
            self.stream.write(f"[{self.done}/{self.total}] {report.row(result)}\n")
        self.stream.flush()


def error_result(name, student, message, flag, out_dir=None, path=None, config=CONFIG):
    """The error row of a submission the batch could not grade (its process died, or it ran out of time)."""
    result = SubmissionResult(name=name, student=student, status="error", flags=[flag],
                              autograder_version=version(config), tests=zero_tests(f"Not graded: {message}.", config))
    result.output = (f"**Your submission could not be graded:** {message}. Your score is 0 until your instructor "
                     "regrades it.")
    result.instructor_log = message
    if path is not None:
        try:
            result.submission_hash = submission_hash_of(path)
        except OSError:
            pass
    if out_dir is not None:
        report.write_submission(result, Path(out_dir) / name)
    return result


def grade_all(paths, out_dir, jobs=None, force=False, shard=None, progress=True, time_limit=TIME_LIMIT_S,
              config=CONFIG):
    """Grade every submission under `paths` into `out_dir`; returns the SubmissionResults (in name order).
    `shard`: "I/N", "auto" or an (index, count[, source]) tuple (see parse_shard); only that shard is graded, and
    OUT/shard.json says which, for merge.

    A submission whose grading process dies, or that takes longer than `time_limit` seconds, gets an error row;
    the rest are graded. Interrupted (Ctrl-C, SIGTERM, SIGHUP: KeyboardInterrupt): finished results stay on disk,
    grades.csv lists them and the rest as "pending", and the interrupt propagates; a submission whose own grading
    process alone was stopped from outside is pending too.
    """
    out_dir = Path(out_dir)
    submissions = find_submissions(paths)
    skipped = [SubmissionResult(name=name, status="skipped", output=f"Not graded: {why}.")
               for name, why in skipped_entries(paths).items()]
    if shard:
        index, count, source = (tuple(shard) + ("manual",))[:3] if isinstance(shard, tuple) else parse_shard(shard)
        everyone = sorted(submissions)
        submissions = {name: submissions[name] for name in shard_of(everyone, (index, count))}
        write_listing(out_dir, index, count, source, everyone, submissions)
    results, pending = {}, {}
    for name, (path, student) in submissions.items():
        earlier = None if force else up_to_date(out_dir, name, path, config)
        if earlier:
            results[name] = earlier
        else:
            pending[name] = (path, student)
    bar = Progress(len(pending)) if progress and pending else None

    def done(name, result, failure):
        if failure is not None:
            path, student = pending[name]
            result = error_result(name, student, failure[1], failure[0], out_dir, path, config)
        results[name] = result
        if bar:
            bar.finished(result)

    try:
        run_in_pool(grade_one, {name: (name, path, student, out_dir, config) for name, (path, student) in pending.items()},
                    jobs=jobs, time_limit=time_limit, on_done=done)
    finally:
        for name in submissions:
            if name not in results:
                results[name] = SubmissionResult(name=name, status="pending", student=submissions[name][1])
        people = {}
        for path in map(Path, paths):
            if path.is_dir():
                people.update(gradescope_submitters(path))
        for name in submissions:     # the export's students, for the gradebook (report.gradebook_csv)
            results[name].submitters = people.get(submissions[name][0].name, [])
        ordered = [results[name] for name in sorted(results)]
        report.write_class(ordered + skipped, out_dir)
    return ordered + skipped


# -- the command line: `python -m autograder grade` and `merge` (autograder/__main__.py) ------------------------------

def add_grade_arguments(parser):
    parser.add_argument("paths", nargs="+", help="submissions, or folders of submissions")
    parser.add_argument("--out", default="build/grades", help="where results go (default: build/grades)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    parser.add_argument("--shard", help="grade only shard I of N (e.g. 2/4), for splitting a class over machines; "
                                        "'auto': I and N from a Slurm job array or a Kubernetes Indexed Job")
    parser.add_argument("--shards", type=int, metavar="N",
                        help=f"with --shard auto: the number of shards where the scheduler does not say it "
                             f"(Kubernetes: the Job's completions; or set {SHARDS_ENV})")
    parser.add_argument("--config", metavar="FILE",
                        help="a TOML file of settings overriding the defaults (points, thresholds, budgets; see README, "
                             "'Configuration')")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S,
                        help=f"wall-clock seconds one submission may take (default {TIME_LIMIT_S}); past it, an error row")
    parser.add_argument("--similarity", action="store_true",
                        help="then write the similarity report (python -m autograder similarity) into OUT")
    parser.add_argument("--compare", metavar="OLD_OUT",
                        help="then show what changed against an earlier grading (python -m autograder diff)")
    parser.set_defaults(parser=parser)


def grade_command(args):
    """`python -m autograder grade`, from its parsed arguments."""
    shard = None
    if args.shard or args.shards is not None:
        try:
            shard = parse_shard(args.shard or "", shards=args.shards)
        except ShardError as error:
            args.parser.error(str(error))
        print(f"grading shard {shard[0]}/{shard[1]} ({shard[2]})", file=sys.stderr)
    config = CONFIG
    if args.config:
        from autograder.config import ConfigError, load
        try:
            config = load(args.config)
        except (ConfigError, OSError) as error:
            args.parser.error(str(error))
    os.umask(0o027)     # results, grades.csv and the summary: readable by the grader's group, never by the sandbox user
    if args.compare:    # read first: OLD_OUT may be OUT itself (a regrade with --force)
        from autograder import regrade_diff
        before = regrade_diff.load_folder(args.compare)
    missing = [path for path in args.paths if not os.path.lexists(path)]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not find_submissions(args.paths):
        skipped = skipped_entries(args.paths)
        print(f"error: no submission found in {', '.join(args.paths)} (a submission is a .py, .ipynb or .zip file, "
              "or a folder holding convolution.py)" + "".join(f"\n  {name}: {why}" for name, why in skipped.items()),
              file=sys.stderr)
        return 1
    try:
        results = grade_all(args.paths, args.out, jobs=args.jobs, force=args.force, shard=shard,
                            time_limit=args.time_limit, config=config)
    except KeyboardInterrupt as stop:      # Ctrl-C, or Stopped by SIGTERM / SIGHUP (pool.stop_on_signals)
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"\ninterrupted ({signal.Signals(signum).name}): finished results are in {args.out}/ and "
              f"{args.out}/grades.csv; run again to resume", file=sys.stderr)
        return 128 + signum
    print(report.table(results))
    skipped = sum(result.status == "skipped" for result in results)
    print(f"\n{len(results) - skipped} submissions" + (f" ({skipped} other entries not graded: see the table)"
                                                      if skipped else "")
          + f"; results in {args.out}/<name>/results.json, {args.out}/grades.csv, {args.out}/summary.md")
    if args.similarity:
        from autograder import similarity
        # the course config's [similarity] table (base code, threshold) applies here too
        similarity.main([*map(str, args.paths), "--out", str(args.out),
                         *(["--config", str(args.config)] if args.config else [])])
    if args.compare:
        text, _ = regrade_diff.markdown(args.compare, args.out, before, regrade_diff.load_folder(args.out))
        print("\n" + text)
    return 0


def add_merge_arguments(parser):
    parser.add_argument("out_dirs", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--partial", action="store_true", help="merge even when shards are missing")
    parser.set_defaults(parser=parser)


def merge_command(args):
    """`python -m autograder merge`: the shards' results into one grades.csv, summary and table."""
    try:
        results, warning = merged(args.out_dirs, partial=args.partial)
    except ShardError as error:
        args.parser.error(str(error))
    if warning:
        print(f"merge: {warning}", file=sys.stderr)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    report.write_class(results, args.out)
    print(report.table(results))
    return 0


def main(argv=None):
    """`grade` as a function of its command-line words (the same as `python -m autograder grade ...`)."""
    from autograder.__main__ import main as command_line
    return command_line(["grade", *(sys.argv[1:] if argv is None else argv)])


def merge_main(argv=None):
    from autograder.__main__ import main as command_line
    return command_line(["merge", *(sys.argv[1:] if argv is None else argv)])
