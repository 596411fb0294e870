"""Grade one Gradescope submission: `python -m autograder.gradescope.entry --root /autograder` (run_autograder).

    ROOT/submission                the student's files          -> autograder.grade.grade_submission
    ROOT/submission_metadata.json  when, who, earlier attempts  -> the optional daily submission limit (read
                                                                   first, then root-only: it holds earlier results)
    ROOT/results/results.json      written once, at the end     <- always, unless this process is killed
                                                                   (then run_autograder writes a score-0 fallback)

Everything printed goes to run_autograder's stdout, which Gradescope shows to instructors only.

Hidden means hidden: results.json goes through `autograder.report.student_safe` (Gradescope's rule on held-back
tests, explained there).
"""
import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import traceback
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from autograder import report
from autograder.report import HELD_BACK, NEVER_SHOWN, student_safe  # noqa: F401 (the Gradescope rule, used here)
from autograder.config import CONFIG, load
from autograder.gradescope import leaderboard
from autograder.cases import all_cases
from autograder.grade import NOT_REACHED, grade_submission, version, zero_tests
from autograder.paths import COURSE_CONFIG as CONFIG_FILE, write_atomically
from autograder.results import SubmissionResult
from autograder.runner import blank_result, test_methods
from autograder.sandbox import identity

OVER_DAILY_LIMIT = "over-daily-limit"     # extra_data.status of a submission refused by the daily limit
DAY = timedelta(hours=24)


class GradingTimeUp(BaseException):
    """SIGTERM from run_autograder's time limit. A BaseException, so that grade_submission does not report it as
    its own failure; its `finally` blocks still stop the sandboxed worker."""


_TIME_UP = []      # set once SIGTERM arrived: the handler's raise can be swallowed where Python ignores exceptions
                   # (an at-fork handler of the sandbox's fork, a __del__), so each finished test checks it again


def _time_up(signum, frame):
    _TIME_UP.append(signum)
    raise GradingTimeUp()


def _progress_into(so_far):
    """on_progress for grade_submission: keep the result so far; stop if the time is up."""
    def progress(partial):
        so_far.append(partial)
        if _TIME_UP:
            raise GradingTimeUp()
    return progress


# -- the daily limit ---------------------------------------------------------------------------------------------

def parse_time(text):
    """An aware datetime from Gradescope's ISO 8601 text ("2018-07-01T14:22:32.365935-07:00"); None if unreadable."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))   # Python 3.10 does not read "Z"
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def graded_times(previous_submissions):
    """Submission times of earlier attempts that were graded (not refused by the limit), oldest first."""
    times = []
    for previous in previous_submissions or []:
        if not isinstance(previous, dict):
            continue
        results = previous.get("results") if isinstance(previous.get("results"), dict) else {}
        extra = results.get("extra_data") if isinstance(results.get("extra_data"), dict) else {}
        moment = parse_time(previous.get("submission_time"))
        if moment is not None and extra.get("status") != OVER_DAILY_LIMIT:
            times.append(moment)
    return sorted(times)


def daily_limit_refusal(metadata, limit):
    """None when this submission may be graded; else the student-facing Markdown saying why not and until when.

    At most `limit` graded submissions in any 24 hours (a rolling window ending at this submission's created_at);
    attempts refused by the limit do not count. limit 0, or metadata without created_at, means no limit.
    """
    if limit <= 0:
        return None
    now = parse_time(metadata.get("created_at"))
    if now is None:
        return None
    recent = [moment for moment in graded_times(metadata.get("previous_submissions")) if now - DAY < moment <= now]
    if len(recent) < limit:
        return None
    # Submitting is possible again once only limit - 1 graded attempts remain in the window.
    again = (recent[len(recent) - limit] + DAY).astimezone(now.tzinfo)
    best = best_previous(metadata.get("previous_submissions"))
    lines = [f"**This submission was not graded: you have made {len(recent)} graded submissions in the last 24 "
             f"hours, and the limit is {limit}.** You can submit again from "
             f"**{again.strftime('%Y-%m-%d %H:%M')} ({again.strftime('%Z') or 'UTC'})**."]
    if best is not None:
        lines.append(f"Gradescope counts your *active* submission, which is now this one (score 0). Your best "
                     f"earlier score is {best[0]:g} (submitted {best[1]}): to keep it, open *Submission History* "
                     f"and click *Activate* on that submission.")
    return "\n\n".join(lines)


def best_previous(previous_submissions):
    """(score, submission_time text) of the best earlier graded attempt, or None."""
    best = None
    for previous in previous_submissions or []:
        if not isinstance(previous, dict):
            continue
        try:
            score = float(previous.get("score"))
        except (TypeError, ValueError):
            continue
        if best is None or score > best[0]:
            best = (score, str(previous.get("submission_time", "?")))
    return best


def not_graded(message, status, config=CONFIG):
    """A results object at 0 points on every test, with `message` above them."""
    return SubmissionResult(name="submission", status=status, output=message, tests=zero_tests("Not graded.", config),
                            autograder_version=version())


# -- what students may see: autograder.report.student_safe (HELD_BACK, NEVER_SHOWN) -------------------------------


# -- one run -----------------------------------------------------------------------------------------------------

def read_metadata(path):
    """submission_metadata.json as a dict; {} (and a note on stdout) when missing or unreadable."""
    try:
        metadata = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        print(f"== metadata: none usable at {path} ({error.__class__.__name__}): no daily limit applied")
        return {}
    return metadata if isinstance(metadata, dict) else {}


def seal(path):
    """Make the metadata root-only once read: it holds earlier submissions' results (held-back scores included),
    and the student's code must not read them. True when done (the grader runs as root)."""
    try:
        os.chown(path, 0, 0, follow_symlinks=False)
        os.chmod(path, 0o600, follow_symlinks=False)
        return True
    except (OSError, NotImplementedError) as error:
        print(f"== metadata: could not make {path} root-only ({error.__class__.__name__})")
        return False


def private_temporary_folder():
    """A folder of the grader's own for its temporary files, under the sandboxes' state folder (root-only, not
    listable), so that nothing of the grader's shows in the shared /tmp; Python's tempfile uses it from now on."""
    identity.make_state_dir()
    folder = tempfile.mkdtemp(prefix="grader-", dir=identity.STATE_DIR)
    tempfile.tempdir = folder
    os.environ["TMPDIR"] = folder
    return folder


def student_of(metadata):
    users = metadata.get("users") or []
    return ", ".join(str(user.get("email") or user.get("name") or user.get("id"))
                     for user in users if isinstance(user, dict))


GRADESCOPE_MEMORY_MB = 768      # Gradescope's default container: its limit holds even where the grader cannot read it


def settings(path=CONFIG_FILE):
    """The grading's Config: the course's config.toml in the zip (package.py --config), else the defaults; a
    container memory the grader cannot see is taken to be Gradescope's default unless the course says otherwise."""
    config = load(path) if Path(path).is_file() else CONFIG
    if not config.sandbox.unseen_container_mb:
        config = replace(config, sandbox=replace(config.sandbox, unseen_container_mb=GRADESCOPE_MEMORY_MB))
    return config


def grade(root, config=CONFIG):
    """Grade ROOT/submission (or refuse it under the daily limit) with `config`; returns the SubmissionResult."""
    metadata = read_metadata(root / "submission_metadata.json")
    if (root / "submission_metadata.json").exists():
        seal(root / "submission_metadata.json")
    student = student_of(metadata)
    print(f"== submission {metadata.get('id', '?')} by {student or '?'} at {metadata.get('created_at', '?')}; "
          f"{len(metadata.get('previous_submissions') or [])} earlier attempt(s)")
    refusal = daily_limit_refusal(metadata, config.submissions_per_day)
    if refusal is not None:
        print(f"== daily limit ({config.submissions_per_day} per 24 h) reached: not graded")
        result = not_graded(refusal, OVER_DAILY_LIMIT, config)
        result.student = student
        return result
    so_far = []
    try:
        return grade_submission(root / "submission", student=student, on_progress=_progress_into(so_far),
                                config=config)
    except GradingTimeUp:
        running = running_part(so_far[-1] if so_far else None, config)
        print(f"== time limit: SIGTERM received during {running.number}; the sandbox was stopped")
        message = time_limit_message(running, config)
        if not so_far:
            return not_graded(message, "error", config)
        partial = so_far[-1]        # the parts graded before the stop keep their points
        partial.status, partial.flags = "error", sorted(set(partial.flags) | {"time-limit"})
        partial.output = message + " The tests that ran before the stop keep their scores."
        return partial


def running_part(partial, config=CONFIG):
    """The test that was running when grading stopped: the first, in the order the parts run, not yet finished."""
    finished = {test.number for test in (partial.tests if partial else []) if test.output != NOT_REACHED}
    order = [blank_result(function, name, config) for case in all_cases() for name, function in test_methods(case)]
    return next((test for test in order if test.number not in finished), order[-1])


def time_limit_message(running, config=CONFIG):
    """What the student reads when grading was stopped at the time limit, naming the part that was running."""
    if running.number.startswith("4."):
        hint = (f"Your model's training was running (`train` is called {config.model.epochs} times on the digits "
                "training set): make an epoch faster, for example with fewer or smaller layers or larger batches.")
    else:
        hint = ("Look for very slow or endless loops in conv2d (for example, Python loops over every pixel and "
                "channel) and replace them with NumPy operations on whole arrays.")
    return (f"**Grading took longer than the autograder's time limit, so it was stopped** while part "
            f"{running.number} ({running.name}) was running. {hint} Then resubmit.")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.entry", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"),
                        help="Gradescope's folder (default: $AUTOGRADER_ROOT or /autograder)")
    root = Path(parser.parse_args(argv).root)
    signal.signal(signal.SIGTERM, _time_up)
    leaderboard.take()                  # only this grading's numbers
    config = settings()
    if config is not CONFIG:
        print(f"== config: {CONFIG_FILE.name} (the course's settings)")
    temporary = private_temporary_folder() if os.geteuid() == 0 else None
    try:
        result = grade(root, config)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        print(report.gradescope_stdout(result), end="")
    except Exception:          # a reporting bug must not cost the student the results.json below
        traceback.print_exc(file=sys.stdout)
    results = report.gradescope_results(result, quiet=False)
    if getattr(config, "leaderboard", False):
        results["leaderboard"] = leaderboard.entries(leaderboard.take(), results)
        print(f"== leaderboard: {json.dumps(results['leaderboard'])}")
    write_atomically(root / "results" / "results.json", report.json_text(results))
    print(f"== wrote {root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
