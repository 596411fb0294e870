"""Grading a class: find the submissions, grade them in parallel into OUT/<name>/, then write OUT/grades.csv and a
summary. A finished submission's results are on disk at once, so an interrupted run loses nothing and a re-run
resumes: a submission already graded by the same autograder version, unchanged since, is not graded again.

    python -m autograder grade SUBMISSIONS... [--out DIR] [--jobs N] [--force] [--shard I/N | --shard auto [--shards N]]
    python -m autograder merge OUT_DIRS... --out DIR [--partial]   (after sharding a class across machines)
"""
import argparse
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import signal
import stat
import statistics
import sys
import time
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import yaml

from autograder import intake
from autograder.grade import grade_submission, version, zero_tests
from autograder.results import SubmissionResult, load_result, markdown_text, write_csv, write_results

SUBMISSION_SUFFIXES = (".zip", ".py", ".ipynb")
GRADESCOPE_METADATA = "submission_metadata.yml"
TIME_LIMIT_S = 20 * 60        # one submission's whole grading, wall clock (its parts have their own limits)
TERM_GRACE_S = 10.0           # after SIGTERM, how long a pool process gets to clean up before SIGKILL
POLL_S = 0.2
BATCH_FLAGS = ("time-limit", "grader-died", "grader-error")   # error rows made by the batch itself: graded again on the next run


def is_submission(path, depth=2):
    """Is `path` one submission? A regular .zip/.py/.ipynb file; or a real folder (never a link) holding
    convolution/assignment .py/.ipynb at its top; or a folder holding exactly one .ipynb at its top beside no other
    submission (no .zip, no sub-folder that is a submission), so that a loose notebook in a class folder is graded
    on its own and does not swallow its neighbours."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISREG(info.st_mode):
        return path.suffix in SUBMISSION_SUFFIXES
    if not stat.S_ISDIR(info.st_mode):
        return False
    try:
        entries = intake.list_entries(path, depth=1)
    except intake.SubmissionError:
        return False
    module_files = {f"{module}{suffix}" for module in intake.MODULES for suffix in (".py", ".ipynb")}
    if any(entry.name in module_files for entry in entries):
        return True
    if sum(entry.suffix == ".ipynb" for entry in entries) != 1 or any(entry.suffix == ".zip" for entry in entries):
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
                                                              and child.suffix in SUBMISSION_SUFFIXES + ("",))))
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


def grade_one(name, path, student, out_dir):
    """Grade one submission into out_dir/name (runs in a pool process)."""
    return grade_submission(path, Path(out_dir) / name, student=student, submission_hash=content_hash(path))


def up_to_date(out_dir, name, path):
    """The earlier result for this submission, if it was made by this autograder version from the same files."""
    earlier = load_result(Path(out_dir) / name)
    if earlier and earlier.autograder_version == version() and earlier.submission_hash == content_hash(path) \
            and not set(earlier.flags) & set(BATCH_FLAGS):
        return earlier
    return None


SHARDS_ENV = "AUTOGRADER_SHARDS"   # the shard count for `--shard auto` in a Kubernetes Indexed Job (its completions)
SHARD_FILE = "shard.json"           # in a shard's OUT: which shard of which class it holds, checked by merge


class ShardError(ValueError):
    """--shard (or the scheduler's variables behind --shard auto) cannot say which part of the class to grade."""


def _env_int(environ, name):
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ShardError(f"{name}={environ[name]!r} is not a whole number") from None


def shard_from_environment(environ=None, shards=None):
    """(index, count, source) of this task, index 1-based, from the scheduler that started it:

    - a Slurm job array: SLURM_ARRAY_TASK_ID relative to SLURM_ARRAY_TASK_MIN (and _STEP), so --array=0-3, 1-4 and
      0-30:10 all work; the count is SLURM_ARRAY_TASK_COUNT, or (MAX - MIN) / STEP + 1. Without MIN the ID is taken
      as 0-based. An irregular array (--array=1,5,6) is refused: its IDs do not number the shards.
    - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based), the count from `shards` (--shards N) or the
      AUTOGRADER_SHARDS variable (the Job's completions: Kubernetes does not tell the pod).
    `shards`, when given, must agree with what Slurm says.
    """
    environ = os.environ if environ is None else environ
    slurm_id, k8s_index = _env_int(environ, "SLURM_ARRAY_TASK_ID"), _env_int(environ, "JOB_COMPLETION_INDEX")
    if slurm_id is not None and k8s_index is not None:
        raise ShardError("both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; pass --shard I/N instead")
    if shards is not None and shards < 1:
        raise ShardError(f"--shards must be at least 1; got {shards}")
    if slurm_id is not None:
        first, last = _env_int(environ, "SLURM_ARRAY_TASK_MIN"), _env_int(environ, "SLURM_ARRAY_TASK_MAX")
        step = _env_int(environ, "SLURM_ARRAY_TASK_STEP") or 1
        count = _env_int(environ, "SLURM_ARRAY_TASK_COUNT")
        if step < 1:
            raise ShardError(f"SLURM_ARRAY_TASK_STEP={step} must be at least 1")
        if first is None:
            if last is not None:
                raise ShardError("SLURM_ARRAY_TASK_MAX is set without SLURM_ARRAY_TASK_MIN")
            first, step = 0, 1
        if (slurm_id - first) % step or slurm_id < first:
            raise ShardError(f"SLURM_ARRAY_TASK_ID={slurm_id} is not MIN={first} plus a multiple of STEP={step}")
        index = (slurm_id - first) // step + 1
        spanned = (last - first) // step + 1 if last is not None else None
        if spanned is not None and spanned < 1:
            raise ShardError(f"SLURM_ARRAY_TASK_MAX={last} is below SLURM_ARRAY_TASK_MIN={first}")
        if count is not None and spanned is not None and count != spanned:
            raise ShardError(f"SLURM_ARRAY_TASK_COUNT={count} but MIN={first}, MAX={last}, STEP={step} span "
                             f"{spanned} tasks: an irregular array (e.g. --array=1,5,6) cannot number the shards; "
                             f"use a range such as --array=0-{count - 1}")
        count = count if count is not None else spanned if spanned is not None else shards
        if count is None:
            raise ShardError("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT nor _MIN/_MAX; "
                             "pass --shards N (the array's size)")
        if shards is not None and shards != count:
            raise ShardError(f"--shards {shards} but the Slurm array has {count} tasks")
        source = "slurm"
    elif k8s_index is not None:
        from_env = _env_int(environ, SHARDS_ENV)
        if shards is not None and from_env is not None and shards != from_env:
            raise ShardError(f"--shards {shards} but {SHARDS_ENV}={from_env}")
        count = shards if shards is not None else from_env
        if count is None:
            raise ShardError(f"JOB_COMPLETION_INDEX is set but not the number of shards: pass --shards N or set "
                             f"{SHARDS_ENV} to the Job's spec.completions")
        index, source = k8s_index + 1, "kubernetes"
    else:
        raise ShardError("--shard auto needs a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job "
                         "(JOB_COMPLETION_INDEX); neither is set. Outside a scheduler use --shard I/N")
    if not 1 <= index <= count:
        hint = " (a 1-based array without SLURM_ARRAY_TASK_MIN? set it)" if source == "slurm" else ""
        raise ShardError(f"--shard auto: task {index} of {count} from {source} is out of range (1..{count}){hint}")
    return index, count, source


def parse_shard(shard, environ=None, shards=None):
    """(index, count, source), index 1-based, of "I/N" or "auto" (see shard_from_environment)."""
    if shard == "auto":
        return shard_from_environment(environ, shards)
    if shards is not None:
        raise ShardError("--shards goes with --shard auto; with --shard I/N the count is N")
    try:
        index, count = (int(part) for part in str(shard).split("/"))
    except ValueError:
        raise ShardError(f"--shard must be I/N (e.g. 2/4) or auto; got {shard!r}") from None
    if not 1 <= index <= count:
        raise ShardError(f"--shard must be I/N with 1 <= I <= N; got {shard}")
    return index, count, "manual"


def shard_of(names, shard):
    """The names of shard "i/n" (1-based), or of an (index, count) pair: every n-th name in sorted order, starting
    at the i-th."""
    index, count = shard[:2] if isinstance(shard, tuple) else parse_shard(shard)[:2]
    return sorted(names)[index - 1::count]


def class_digest(names):
    """Identifies the class a shard was cut from: every node must see the same submission names."""
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]


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


class TimeLimitExceeded(BaseException):
    """Raised inside a pool process by SIGTERM when its submission ran past the batch's time limit. A
    BaseException, so grade_submission does not report it as its own failure, while its `finally`s still clean up
    (the sandboxed worker is stopped, the scratch folder removed)."""


_started = None      # in a pool process: the queue on which a task says "I started, in this process"
_stopping = False    # in a pool process: SIGTERM arrived during the current task


def _pool_init(started):
    global _started
    _started = started

    def on_term(signum, frame):
        global _stopping
        _stopping = True
        _kill_children(os.getpid(), signal.SIGKILL)      # the sandboxed worker: a hang there ends now
        raise TimeLimitExceeded()
    signal.signal(signal.SIGTERM, on_term)


def _run_task(key, work, args):
    global _stopping
    _stopping = False
    _started.put((key, os.getpid(), time.time()))
    value = work(*args)
    if _stopping:       # the grading caught TimeLimitExceeded somewhere (unittest records errors) and went on
        raise TimeLimitExceeded()
    return value


def _kill_children(pid, signum):
    """Send `signum` to the process groups of `pid`'s children (a sandboxed worker leads its own session)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stream:
                fields = stream.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            for kill, target in ((os.killpg, int(fields[2])), (os.kill, int(name))):
                try:
                    if target > 1 and (kill is os.kill or target != os.getpgid(0)):
                        kill(target, signum)
                except (ProcessLookupError, PermissionError):
                    pass


def run_in_pool(work, tasks, jobs=None, time_limit=None, on_done=None, grace=TERM_GRACE_S):
    """Run work(*args) for every key, args in `tasks` (a dict) in a process pool that survives its processes.

    Returns {key: (value, None) | (None, (flag, message))}, flag one of BATCH_FLAGS; on_done(key, value, failure)
    is called as each one ends.
    - A pool process that dies (os._exit, a signal, the OOM killer) breaks the pool: the tasks it held are run
      again one at a time in a new pool, and the one that still kills its process gets the message; the others
      are unaffected.
    - A task running longer than `time_limit` seconds (wall clock, from when it started) is sent SIGTERM (raising
      TimeLimitExceeded in it), then SIGKILL after `grace` seconds, and gets the message.
    `work` must be picklable (a module-level function). Ctrl-C stops the pool and propagates.
    """
    queue = list(tasks)            # not started yet
    suspects = []                  # were running when a pool process died: run again alone
    outcomes = {}

    def finish(key, value, failure=None):
        outcomes[key] = (value, failure)
        if on_done:
            on_done(key, value, failure)

    while queue or suspects:
        alone = not queue
        width = 1 if alone else max(1, jobs or os.cpu_count() or 1)
        context = multiprocessing.get_context()
        started = context.SimpleQueue()
        pool = concurrent.futures.ProcessPoolExecutor(width, mp_context=context, initializer=_pool_init,
                                                      initargs=(started,))
        running, processes, signalled, broken = {}, {}, {}, False
        try:
            while True:
                source = suspects if alone else queue
                while source and len(running) < width and not broken:
                    key = source.pop(0)
                    try:
                        running[pool.submit(_run_task, key, work, tasks[key])] = key
                    except BrokenProcessPool:
                        source.insert(0, key)
                        broken = True
                if broken or not running:
                    break
                done, _ = concurrent.futures.wait(running, timeout=POLL_S,
                                                  return_when=concurrent.futures.FIRST_COMPLETED)
                while not started.empty():
                    key, pid, when = started.get()
                    processes[key] = (pid, when)
                for future in done:
                    key = running.pop(future)
                    try:
                        finish(key, future.result())
                    except BrokenProcessPool:
                        broken = True
                        running[future] = key           # handled with the others below
                    except TimeLimitExceeded:
                        finish(key, None, _over_time(time_limit))
                    except Exception as error:
                        finish(key, None, ("grader-error", f"the grading raised {type(error).__name__}: {error}"))
                if broken:
                    break
                now = time.time()
                for key in list(running.values()):
                    if time_limit is None or key not in processes:
                        continue
                    pid, began = processes[key]
                    if key not in signalled and now - began > time_limit:
                        signalled[key] = now
                        _kill(pid, signal.SIGTERM)
                    elif key in signalled and now - signalled[key] > grace:
                        _kill_children(pid, signal.SIGKILL)
                        _kill(pid, signal.SIGKILL)      # breaks the pool; this task is known to be at fault
        except KeyboardInterrupt:
            _stop_pool(pool)
            raise
        if broken:
            for future, key in running.items():
                if key in signalled:
                    finish(key, None, _over_time(time_limit))
                elif key not in processes:
                    queue.insert(0, key) if not alone else suspects.insert(0, key)   # never started
                elif alone:
                    finish(key, None, ("grader-died", "the process grading this submission died (killed by a "
                                                      "signal, out of memory, or exited)"))
                else:
                    suspects.append(key)
        _stop_pool(pool)
    return outcomes


def _over_time(limit):
    return "time-limit", f"grading this submission took longer than the batch's limit of {limit:g} s; it was stopped"


def _kill(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _stop_pool(pool):
    """Shut a pool down without waiting on a hung or dead process: what is left is killed."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)


def error_result(name, student, message, flag, out_dir=None, path=None):
    """The error row of a submission the batch could not grade (its process died, or it ran out of time)."""
    result = SubmissionResult(name=name, student=student, status="error", flags=[flag],
                              autograder_version=version(), tests=zero_tests(f"Not graded: {message}."))
    result.output = (f"**Your submission could not be graded:** {message}. Your score is 0 until your instructor "
                     "regrades it.")
    result.instructor_log = message
    if path is not None:
        try:
            result.submission_hash = content_hash(path)
        except OSError:
            pass
    if out_dir is not None:
        write_results(result, Path(out_dir) / name)
    return result


def grade_all(paths, out_dir, jobs=None, force=False, shard=None, progress=True, time_limit=TIME_LIMIT_S):
    """Grade every submission under `paths` into `out_dir`; returns the SubmissionResults (in name order).
    `shard`: "I/N", "auto" or an (index, count[, source]) tuple (see parse_shard); only that shard is graded, and
    OUT/shard.json says which, for merge.

    A submission whose grading process dies, or that takes longer than `time_limit` seconds, gets an error row;
    the rest are graded. Interrupted (Ctrl-C): finished results stay on disk, grades.csv lists them and the rest as
    "pending".
    """
    out_dir = Path(out_dir)
    submissions = find_submissions(paths)
    if shard:
        index, count, source = (tuple(shard) + ("manual",))[:3] if isinstance(shard, tuple) else parse_shard(shard)
        everyone = sorted(submissions)
        submissions = {name: submissions[name] for name in shard_of(everyone, (index, count))}
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / SHARD_FILE).write_text(json.dumps(
            {"index": index, "count": count, "source": source, "class_size": len(everyone),
             "class_digest": class_digest(everyone), "submissions": sorted(submissions), "class": everyone},
            indent=1) + "\n")
    results, pending = {}, {}
    for name, (path, student) in submissions.items():
        earlier = None if force else up_to_date(out_dir, name, path)
        if earlier:
            results[name] = earlier
        else:
            pending[name] = (path, student)
    bar = Progress(len(pending)) if progress and pending else None

    def done(name, result, failure):
        if failure is not None:
            path, student = pending[name]
            result = error_result(name, student, failure[1], failure[0], out_dir, path)
        results[name] = result
        if bar:
            bar.finished(result)

    try:
        run_in_pool(grade_one, {name: (name, path, student, out_dir) for name, (path, student) in pending.items()},
                    jobs=jobs, time_limit=time_limit, on_done=done)
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
    """Markdown: the score distribution of each part, the most common diagnoses, the flagged submissions (names and
    students escaped: they are the students' text)."""
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
            f"- {markdown_text(r.name)}{f' ({markdown_text(r.student)})' if r.student else ''}: "
            f"{', '.join(r.flags) or r.status}" for r in flagged]
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
    """Every SubmissionResult saved under the given output folders (one level down). A shard's folder (it has
    shard.json) gives only its own shard's submissions, and lists those it did not finish as "pending"."""
    results = {}
    for out_dir in map(Path, out_dirs):
        listing = _shard_listing(out_dir)
        own = set(listing["submissions"]) if listing else None
        for folder in sorted(p for p in out_dir.iterdir() if p.is_dir()):
            result = load_result(folder)
            if result and (own is None or result.name in own):
                results[result.name] = result
        for name in (listing or {}).get("submissions", []):
            if name not in results:
                results[name] = SubmissionResult(name=name, status="pending")
    return [results[name] for name in sorted(results)]


def _shard_listing(out_dir):
    try:
        return json.loads((Path(out_dir) / SHARD_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ShardError(f"{out_dir}/{SHARD_FILE} is unreadable: {error}") from None


def check_shards(out_dirs):
    """(problems, missing): why these shard folders cannot be merged, each a sentence (folders from different
    classes or shard counts, a shard given twice), and the names of the submissions in shards not given. Folders
    without shard.json (older runs, or unsharded ones) are not checked."""
    listings = {}
    for out_dir in out_dirs:
        if not Path(out_dir).is_dir():
            return [f"{out_dir} is not a folder"], []
        listing = _shard_listing(out_dir)
        if listing is not None:
            listings[str(out_dir)] = listing
    if not listings:
        return [], []
    problems = []
    kinds = {(l.get("count"), l.get("class_size"), l.get("class_digest")) for l in listings.values()}
    if len(kinds) > 1:
        problems.append("the folders come from different splits or classes (shard count, class size, names): "
                        + "; ".join(f"{d}: shard {l.get('index')}/{l.get('count')} of {l.get('class_size')} "
                                    f"submissions" for d, l in listings.items()))
        return problems, []
    count = next(iter(kinds))[0]
    seen = {}
    for out_dir, listing in listings.items():
        seen.setdefault(listing.get("index"), []).append(out_dir)
    for index, folders in sorted(seen.items()):
        if len(folders) > 1:
            problems.append(f"shard {index}/{count} is in more than one folder: {', '.join(folders)}")
    everyone = next(iter(listings.values())).get("class", [])
    missing = [i for i in range(1, count + 1) if i not in seen]
    return problems, [name for i in missing for name in shard_of(everyone, (i, count))]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="submissions, or folders of submissions")
    parser.add_argument("--out", default="build/grades", help="where results go (default: build/grades)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    parser.add_argument("--shard", help="grade only shard I of N (e.g. 2/4), for splitting a class over machines; "
                                        "'auto': I and N from a Slurm job array or a Kubernetes Indexed Job")
    parser.add_argument("--shards", type=int, metavar="N",
                        help=f"with --shard auto: the number of shards where the scheduler does not say it "
                             f"(Kubernetes: the Job's completions; or set {SHARDS_ENV})")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S,
                        help=f"wall-clock seconds one submission may take (default {TIME_LIMIT_S}); past it, an error row")
    parser.add_argument("--similarity", action="store_true",
                        help="then write the similarity report (python -m autograder similarity) into OUT")
    parser.add_argument("--compare", metavar="OLD_OUT",
                        help="then show what changed against an earlier grading (python -m autograder diff)")
    args = parser.parse_args(argv)
    shard = None
    if args.shard or args.shards is not None:
        try:
            shard = parse_shard(args.shard or "", shards=args.shards)
        except ShardError as error:
            parser.error(str(error))
        print(f"grading shard {shard[0]}/{shard[1]} ({shard[2]})", file=sys.stderr)
    os.umask(0o027)     # results, grades.csv and the summary: readable by the grader's group, never by the sandbox user
    if args.compare:    # read first: OLD_OUT may be OUT itself (a regrade with --force)
        from autograder import regrade_diff
        before = regrade_diff.load_folder(args.compare)
    try:
        results = grade_all(args.paths, args.out, jobs=args.jobs, force=args.force, shard=shard,
                            time_limit=args.time_limit)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished results are in {args.out}/ and {args.out}/grades.csv; run again to resume",
              file=sys.stderr)
        return 130
    print(table(results))
    print(f"\n{len(results)} submissions; results in {args.out}/<name>/results.json, {args.out}/grades.csv, "
          f"{args.out}/summary.md")
    if args.similarity:
        from autograder import similarity
        similarity.main([*map(str, args.paths), "--out", str(args.out)])
    if args.compare:
        text, _ = regrade_diff.markdown(args.compare, args.out, before, regrade_diff.load_folder(args.out))
        print("\n" + text)
    return 0


def merge_main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder merge",
                                     description="merge the output folders of sharded runs into one grades.csv")
    parser.add_argument("out_dirs", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--partial", action="store_true", help="merge even when shards are missing")
    args = parser.parse_args(argv)
    try:
        problems, missing = check_shards(args.out_dirs)
    except ShardError as error:
        problems, missing = [str(error)], []
    if problems:
        parser.error("; ".join(problems))
    results = collect(args.out_dirs)
    if missing:
        known = {r.name for r in results}
        message = (f"{len(missing)} submission(s) are in shards not given (e.g. {missing[0]}); grade those shards "
                   f"too, or pass --partial to list them as pending")
        if not args.partial:
            parser.error(message)
        print(f"merge: {message}", file=sys.stderr)
        results = sorted(results + [SubmissionResult(name=name, status="pending") for name in missing
                                    if name not in known], key=lambda r: r.name)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    write_outputs(results, args.out)
    print(table(results))
    return 0
