"""Prove the grader's verdicts: grade every catalogue entry with the real grader and compare with what it must get.

    python -m autograder verdicts [--jobs 2] [--only NAME...] [--no-determinism]

tests/catalogue/<kind>/<entry>/ holds a submission (convolution.py, and assignment.py where the model matters) and
verdict.json, what the grader must decide about it:

    kind        "correct" | "mistake" | "attack" | "style" (styles/: the ways real students write conv2d, from
                issue 11's survey of public course files; judged on their own row)
    about       one line: what the entry does
    full        test numbers that must get full marks            e.g. ["2.2", "2.3", "2.4", "3.1"]
    lose        test numbers that must lose points (score < max)
    zero        test numbers that must score 0
    diagnosis   the known mistake (autograder/mistakes.py) the grader must name, when there is one
    flags       flags the result must carry (a correct entry must carry none)
    max_score   the total may not exceed this (an attack gains nothing beyond its honest parts)
    probes      attack checks run around the grading: "results_untouched" (results.json unchanged after the
                grader finished), "heartbeat" (no process of the student outlives the grading: the file
                verdict["heartbeat"] is not touched afterwards), "no_connection" (nothing connected to
                127.0.0.1:verdict["port"]), "no_secrets" (no solution, config or hidden-case data in the visible
                output), "foreign_uid" (a process of another owner runs on the first of the only three uids the
                grading may use, two of which a grading can hold at once: it must survive, and the grading must not
                run on its uid)
    alone       grade it on its own, not next to other entries (fork and memory attacks share the sandbox user's
                process limit with everyone)

The report: correct implementations accepted, mistakes caught, mistakes correctly named, attacks defeated, real-world
styles judged as their verdict says (scores, named diagnosis), grader failures; then that a correct entry still gets
full marks after all attacks (the batch is intact), and that grading the solution and three entries five times gives
identical scores.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder import fixture_files, report
from autograder.batch.pool import run_in_pool
from autograder.config import CONFIG
from autograder.grade import grade_submission
from autograder.sandbox import identity, isolation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tests" / "catalogue"
SOLUTION = ROOT / "solution"
KINDS = {"correct": "correct", "mistakes": "mistake", "attacks": "attack", "styles": "style"}
GOALS = {"correct accepted": 1.0, "mistakes caught": 1.0, "mistakes correctly named": 0.9, "attacks defeated": 1.0,
         "styles judged as expected": 1.0}
DETERMINISM_ENTRIES = ("correct/window_einsum", "mistakes/flipped_kernel", "attacks/infinite_loop")
CANARY = "correct/im2col_one_matmul"
REPEATS = 5
AFTERLIFE_SECONDS = 2.0     # how long a leftover process gets to show itself after the grader finished
SECRET_FILES = (ROOT / "solution" / "convolution.py", ROOT / "autograder" / "config.py")


@dataclass
class Entry:
    name: str               # "<kind folder>/<entry folder>", e.g. "mistakes/flipped_kernel"
    kind: str               # correct | mistake | attack
    path: Path
    verdict: dict


@dataclass
class Judgement:
    entry: Entry
    scores: dict = field(default_factory=dict)        # test number -> score
    total: float = 0.0
    diagnosis: str = ""
    flags: list = field(default_factory=list)
    problems: list = field(default_factory=list)      # where the grader's verdict differs from the expected one
    named: bool = None                                 # the expected diagnosis was given (None: none expected)
    grader_failure: str = ""                           # the grader itself failed (status error, traceback)
    seconds: float = 0.0
    retried: bool = False                              # graded again after an unexpected timeout (machine load)

    @property
    def as_expected(self):
        return not self.problems and not self.grader_failure


def load_catalogue(root=CATALOGUE, only=()):
    """Every entry under root/<correct|mistakes|attacks|styles>/<name>/ with a verdict.json, sorted by name."""
    entries = []
    for folder, kind in KINDS.items():
        for path in sorted((Path(root) / folder).glob("*/verdict.json")):
            name = f"{folder}/{path.parent.name}"
            if only and name not in only and path.parent.name not in only:
                continue
            verdict = json.loads(path.read_text())
            if verdict.get("kind") != kind:
                raise ValueError(f"{name}: verdict.json says kind {verdict.get('kind')!r}, its folder {kind!r}")
            entries.append(Entry(name, kind, path.parent, verdict))
    return entries


# -- probes around one grading ------------------------------------------------------------------------------------

def secret_markers():
    """Texts that must never reach a student: lines of the solution and the config, hidden cases' bytes."""
    markers = []
    for path in SECRET_FILES:
        lines = [line.strip() for line in path.read_text().splitlines() if len(line.strip()) > 40]
        markers.extend(lines[:3] + lines[-3:])
    for case in fixture_files.load_conv_cases("hidden")[:3]:
        markers.append(case.inputs.tobytes()[:12].hex())
        markers.append(f"{float(case.inputs.flat[0]):.6f}")
    return [marker for marker in markers if marker]


class Probes:
    """Set up before grading an attack, checked after: a listening socket, a heartbeat file, results.json."""

    def __init__(self, verdict):
        self.wanted = set(verdict.get("probes", ()))
        self.verdict = verdict
        self.listener = None
        if "no_connection" in self.wanted:
            self.listener = socket.socket()
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind(("127.0.0.1", int(verdict["port"])))
            self.listener.listen(8)
            self.listener.setblocking(False)
        if "heartbeat" in self.wanted:
            Path(verdict["heartbeat"]).unlink(missing_ok=True)
        self.config, self.foreign = CONFIG, None
        if "foreign_uid" in self.wanted:
            base = CONFIG.sandbox.uid_base + 2000
            while any(identity.has_name(uid) or identity.processes_of(uid) for uid in range(base, base + 3)):
                base += 3
            self.foreign = subprocess.Popen(["setpriv", f"--reuid={base}", f"--regid={base}", "--clear-groups",
                                             "sleep", "3600"])
            deadline = time.monotonic() + 10
            while not identity.processes_of(base) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.config = replace(CONFIG, sandbox=replace(CONFIG.sandbox, uid_base=base, uid_count=3))

    def release(self):
        """End what the probes started (the foreign process)."""
        if self.foreign is not None:
            self.foreign.kill()
            self.foreign.wait()
            self.foreign = None

    def check(self, out_dir, written, uid=None):
        """Problems found after grading (waits AFTERLIFE_SECONDS for leftover processes to act). uid: the
        sandbox identity the submission ran as; nothing of it may be left (processes, files, IPC)."""
        problems = []
        if self.wanted & {"heartbeat", "results_untouched"}:
            heartbeat = Path(self.verdict.get("heartbeat", "/nonexistent"))
            heartbeat.unlink(missing_ok=True)
            time.sleep(AFTERLIFE_SECONDS)
            if "heartbeat" in self.wanted and heartbeat.exists():
                problems.append("a process of the student outlived the grading (heartbeat written afterwards)")
                heartbeat.unlink(missing_ok=True)
        if uid is not None:
            left = isolation.leftovers([uid])
            if left:
                problems.append(f"the sandbox identity left {len(left)} things behind, e.g. {left[0]}")
            if "results_untouched" in self.wanted and (out_dir / "results.json").read_bytes() != written:
                problems.append("results.json was changed after the grader wrote it")
        if self.listener is not None:
            try:
                connection, _ = self.listener.accept()
                connection.close()
                problems.append("the student's code connected to 127.0.0.1")
            except BlockingIOError:
                pass
            self.listener.close()
        if self.foreign is not None:
            if self.foreign.poll() is not None:
                problems.append("a process of another owner on one of the grader's uids was killed")
            if uid == self.config.sandbox.uid_base:
                problems.append("the grading ran on a uid another owner's process was using")
        self.release()
        if "no_secrets" in self.wanted:
            visible = (out_dir / "results.json").read_text()
            leaked = [marker for marker in secret_markers() if marker in visible]
            if leaked:
                problems.append(f"the visible output contains secret data: {leaked[0][:60]!r}")
        return problems


# What a student may never read (outside what their own code printed): the grader's internals, and words that accuse.
GRADER_MARKERS = ("[sandbox]", "trap.py", "worker.py", "protocol.py", "_forbidden_library", "_tensorflow_on_numpy",
                  "/run/cnn-autograder", "cnn-grade-", "autograder/", "autograder.", "notified")
PRINTED_BLOCK = re.compile(r"Your code printed[^\n]*:\n```.*?```", re.DOTALL)


def student_text_problems(results_text, flags):
    """Where the student-visible results.json says what it must not: a grader file, module or path, "notified",
    or "library convolution" about code that calls none (a student's own prints are theirs and not judged)."""
    results = json.loads(results_text)
    texts = [results.get("output", "")] + [test.get("output", "") for test in results.get("tests", [])]
    text = PRINTED_BLOCK.sub("", "\n".join(texts))
    problems = [f"the student sees {marker!r}" for marker in GRADER_MARKERS if marker in text]
    if "forbidden-api" not in flags and ("calls a library convolution" in text or "is a library convolution" in text):
        problems.append("the student is told of a library convolution, and none was found")
    return problems


# -- judging one entry ----------------------------------------------------------------------------------------------

def score_problems(verdict, scores, maxima, total, flags):
    """Where a grading's scores and flags differ from a verdict.json's full / lose / zero / max_score / flags
    ({test number: score}, {test number: max score}, the total, the flags); [] when they agree."""
    problems = []
    for number in verdict.get("full", ()):
        if scores.get(number) != maxima.get(number):
            problems.append(f"{number} should be full: {scores.get(number)}/{maxima.get(number)}")
    for number in verdict.get("lose", ()):
        if not scores.get(number, 0) < maxima.get(number, 0):
            problems.append(f"{number} should lose points: {scores.get(number)}/{maxima.get(number)}")
    for number in verdict.get("zero", ()):
        if scores.get(number) != 0:
            problems.append(f"{number} should be 0: {scores.get(number)}")
    if "max_score" in verdict and total > verdict["max_score"]:
        problems.append(f"total {total} exceeds {verdict['max_score']}")
    # an expected flag "import-error" is also met by "import-error:convolution.py" (the file named)
    missing_flags = {flag for flag in verdict.get("flags", ())
                     if not any(got == flag or got.startswith(flag + ":") for got in flags)}
    if missing_flags:
        problems.append(f"flags {sorted(missing_flags)} missing (got {flags})")
    return problems


def judge(entry):
    """Grade `entry` with the real grader (into a scratch results folder) and compare with its verdict."""
    verdict = entry.verdict
    judgement = Judgement(entry)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cnn-verdicts-") as scratch:
        out_dir = Path(scratch) / "results"
        out_dir.mkdir()
        # Like /autograder/results: readable by anyone, writable only by the grader.
        os.chmod(scratch, 0o755)
        os.chmod(out_dir, 0o755)
        try:
            probes = Probes(verdict)
        except OSError as error:
            judgement.problems.append(f"could not set up the probes: {error}")
            return judgement
        try:
            result = grade_submission(entry.path, name=out_dir.name, config=probes.config)
            report.write_submission(result, out_dir)
        except Exception as error:          # grade_submission must never raise
            probes.release()
            judgement.grader_failure = f"grade_submission raised {type(error).__name__}: {error}"
            return judgement
        judgement.seconds = time.monotonic() - started
        written = (out_dir / "results.json").read_bytes()
        judgement.problems.extend(probes.check(out_dir, written, result.isolation.get("uid")))
        judgement.problems.extend(student_text_problems(written.decode(), result.flags))
    judgement.scores = {test.number: test.score for test in result.tests}
    maxima = {test.number: test.max_score for test in result.tests}
    judgement.total, judgement.diagnosis, judgement.flags = result.score, result.diagnosis, list(result.flags)
    if result.isolation and result.isolation.get("mode") not in ("namespaces", "permissions"):
        judgement.problems.append(f"the worker was not sandboxed: {result.isolation}")
    if result.status != "graded" or result.instructor_log.strip():
        judgement.grader_failure = f"status {result.status}; {result.instructor_log.strip()[-300:]}"

    judgement.problems.extend(score_problems(verdict, judgement.scores, maxima, judgement.total, judgement.flags))
    if entry.kind == "correct" and judgement.flags:
        judgement.problems.append(f"a correct entry got flags {judgement.flags}")
    if verdict.get("diagnosis"):
        judgement.named = judgement.diagnosis == verdict["diagnosis"]
        if not judgement.named:
            judgement.problems.append(f"diagnosis {judgement.diagnosis!r}, expected {verdict['diagnosis']!r}")
    elif entry.kind == "correct" and judgement.diagnosis:
        judgement.problems.append(f"a correct entry was diagnosed {judgement.diagnosis!r}")
    return judgement


def judge_all(entries, jobs=2):
    """Judgements of all entries: the ordinary ones `jobs` at a time, then the `alone` ones one by one."""
    shared = [entry for entry in entries if not entry.verdict.get("alone")]
    alone = [entry for entry in entries if entry.verdict.get("alone")]
    judgements = {}
    if jobs > 1 and len(shared) > 1:
        # the batch's pool: a stop (Ctrl-C, SIGTERM, SIGHUP) ends its processes and their sandboxes, and a pool
        # process that dies costs only its entry
        outcomes = run_in_pool(judge, {entry.name: (entry,) for entry in shared}, jobs=jobs)
        for entry in shared:
            judgement, failure = outcomes[entry.name]
            if failure is not None:
                judgement = Judgement(entry)
                judgement.grader_failure = f"{failure[0]}: {failure[1]}"
            judgements[entry.name] = judgement
    else:
        judgements.update((entry.name, judge(entry)) for entry in shared)
    judgements.update((entry.name, judge(entry)) for entry in alone)
    # A timeout nobody expected is most likely the machine's load (other graders, parallel tests): grade such an
    # entry once more, alone. The table marks it; a real hang times out again.
    for entry in entries:
        first = judgements[entry.name]
        if not first.as_expected and "timeout" in first.flags and "timeout" not in entry.verdict.get("flags", ()):
            judgements[entry.name] = judge(entry)
            judgements[entry.name].retried = True
    return [judgements[entry.name] for entry in entries]


# -- the measurement ---------------------------------------------------------------------------------------------

def rates(judgements):
    """{goal name: (passed, total)} plus "grader failures": (count, total)."""
    def count(kind, test):
        chosen = [j for j in judgements if j.entry.kind == kind]
        return sum(1 for j in chosen if test(j)), len(chosen)
    named = [j for j in judgements if j.entry.kind == "mistake" and j.named is not None]
    return {
        "correct accepted": count("correct", lambda j: j.as_expected),
        "mistakes caught": count("mistake", lambda j: j.as_expected or (j.problems and all(
            p.startswith("diagnosis") for p in j.problems) and not j.grader_failure)),
        "mistakes correctly named": (sum(1 for j in named if j.named), len(named)),
        "attacks defeated": count("attack", lambda j: j.as_expected),
        "styles judged as expected": count("style", lambda j: j.as_expected),
        "grader failures": (sum(1 for j in judgements if j.grader_failure), len(judgements)),
    }


def goals_met(measured):
    ok = all(total == 0 or passed / total >= GOALS[name] for name, (passed, total) in measured.items()
             if name in GOALS)
    return ok and measured["grader failures"][0] == 0


def scores_of(path):
    return tuple(sorted((t.number, t.score) for t in grade_submission(path).tests))


def determinism(paths, repeats=REPEATS, jobs=2):
    """{path name: number of distinct score tuples over `repeats` gradings} (1 everywhere means deterministic)."""
    work = {(path, repeat): (path,) for path in paths for repeat in range(repeats)}
    outcomes = run_in_pool(scores_of, work, jobs=max(1, jobs))
    distinct = {}
    for (path, _), (scores, failure) in outcomes.items():
        distinct.setdefault(path, set()).add(scores if failure is None else failure)
    return {Path(path).name if Path(path) == SOLUTION else str(Path(path).relative_to(CATALOGUE)): len(found)
            for path, found in distinct.items()}


def table(judgements):
    lines = [f"{'entry':<44} {'score':>6}  {'diagnosis':<28} {'flags':<22} {'s':>5}  verdict"]
    for j in judgements:
        verdict = "ok" if j.as_expected else "; ".join(([j.grader_failure] if j.grader_failure else []) + j.problems)
        verdict += " (graded twice: unexpected timeout)" if j.retried else ""
        lines.append(f"{j.entry.name:<44} {j.total:6.1f}  {j.diagnosis or '-':<28} {','.join(j.flags) or '-':<22} "
                     f"{j.seconds:5.1f}  {verdict}")
    return "\n".join(lines)


def summary(measured):
    lines = []
    for name, (passed, total) in measured.items():
        if name == "grader failures":
            lines.append(f"{name:<28} {passed} of {total} gradings   (goal 0)")
        else:
            share = passed / total if total else 1.0
            lines.append(f"{name:<28} {passed}/{total} = {share:6.1%}   (goal {GOALS[name]:.0%})")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder verdicts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="entries graded at once (default 2)")
    parser.add_argument("--only", nargs="*", default=(), help="entry names (e.g. mistakes/flipped_kernel)")
    parser.add_argument("--no-determinism", action="store_true", help="skip grading the solution and 3 entries 5x")
    args = parser.parse_args(argv)

    try:
        return _measure(args)
    except KeyboardInterrupt as stop:       # Ctrl-C, or SIGTERM / SIGHUP (autograder.batch.pool.stop_on_signals)
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"\ninterrupted ({signal.Signals(signum).name}): the sandboxes were stopped", file=sys.stderr)
        return 128 + signum


def _measure(args):
    started = time.monotonic()
    entries = load_catalogue(only=tuple(args.only))
    judgements = judge_all(entries, args.jobs)
    print(table(judgements))
    measured = rates(judgements)
    print()
    print(summary(measured))
    ok = goals_met(measured)
    if not args.only:
        canary = judge(next(entry for entry in load_catalogue() if entry.name == CANARY))
        print(f"{'batch intact after attacks':<28} {'yes' if canary.as_expected else 'NO: ' + '; '.join(canary.problems)}")
        ok = ok and canary.as_expected
    if not args.no_determinism:
        paths = [SOLUTION] + [CATALOGUE / name for name in DETERMINISM_ENTRIES]
        distinct = determinism(paths, REPEATS, args.jobs)
        same = all(count == 1 for count in distinct.values())
        print(f"{'deterministic (5 gradings)':<28} {'yes' if same else 'NO'}: "
              + ", ".join(f"{name} {count} distinct" for name, count in distinct.items()))
        ok = ok and same
    left = isolation.leftovers()
    print(f"{'sandbox leftovers':<28} {'none' if not left else f'{len(left)}, e.g. ' + left[0]}")
    ok = ok and not left
    print(f"\n{len(entries)} entries in {time.monotonic() - started:.0f} s: {'all goals met' if ok else 'GOALS NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
