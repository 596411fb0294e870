"""The Gradescope autograder zip, end to end: the real zip, unzipped into a temporary Gradescope-like root, with
source/run_autograder run as a real process (AUTOGRADER_ROOT points at the root; AUTOGRADER_PYTHON at this venv,
because setup.sh itself, which installs system packages, is only syntax-checked here)."""
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from autograder import grade, report
from autograder.config import CONFIG
from autograder.gradescope import entry, package
from autograder.grade import NOT_REACHED, zero_tests
from autograder.gradescope.measure import MB, lay_out, run_measured
from conftest import ROOT, SOLUTION, STENCIL, process_tree, still_running

SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())
IS_ROOT = os.geteuid() == 0
METADATA = {"id": 7, "created_at": "2025-03-01T12:00:00.000000-05:00", "previous_submissions": [],
            "users": [{"email": "student@example.edu", "name": "A Student", "id": 3}],
            "assignment": {"title": "CNN", "total_points": "100.0"}}


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("dist") / "autograder.zip"
    package.build(path)
    return path


@pytest.fixture
def gradescope_root():
    """A fresh root other users can traverse (pytest's own tmp folders are private to root, which would make the
    'student cannot read the source' checks pass for the wrong reason)."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-test-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def run_autograder(root, autograder_zip, submission_files, metadata=METADATA, python=sys.executable, extra_env=None,
                   before_run=None):
    """Lay out `root`, run source/run_autograder; returns (results.json as a dict, run_autograder's stdout)."""
    lay_out(root, autograder_zip, submission_files, metadata)
    if before_run is not None:
        before_run(root)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(python), **(extra_env or {}))
    completed = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                               timeout=600, start_new_session=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results, completed.stdout


def write_file(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def readable_by_student(path):
    """Can a sandbox identity open `path` (a file) or list it (a folder)? Tried as that uid, in a real process,
    without the sandbox's view: what file permissions alone allow (Gradescope's Docker has no namespaces)."""
    def become_student():
        os.setgroups([])
        os.setgid(CONFIG.sandbox.uid_base)
        os.setuid(CONFIG.sandbox.uid_base)
    command = ["ls", str(path)] if Path(path).is_dir() else ["cat", str(path)]
    return subprocess.run(command, preexec_fn=become_student, capture_output=True).returncode == 0


def scored_tests(results):
    return {test["number"]: test for test in results["tests"]}


# -- the zip ------------------------------------------------------------------------------------------------------

def test_zip_holds_what_grading_needs_and_no_answers(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o777 == 0o755, f"{script} must be executable"
    for needed in ("requirements.txt", *package.LOCKS, "solution/convolution.py", "solution/preprocess.py",
                   "autograder/config.py", "autograder/grade.py", "autograder/gradescope/entry.py", "autograder/sandbox/worker.py",
                   "autograder/fixtures/public.npz", "autograder/fixtures/hidden.npz",
                   "autograder/fixtures/manifest.json"):
        assert needed in infos, needed
    assert "solution/assignment.py" not in infos, "the CNN answers must not ship"
    assert not [name for name in infos if name.startswith(("stencil/", "tests/", "examples/", ".venv/"))]
    assert not [name for name in infos if "__pycache__" in name or name.endswith(".pyc")]
    for tool in package.DEVELOPMENT_ONLY:      # development tools stay home; grading never imports them
        assert f"autograder/{tool}" not in infos, tool
    assert package.FALLBACK_NAME in infos and "config.toml" not in infos
    assert list(infos) == sorted(infos)
    assert {info.date_time for info in infos.values()} == {package.FIXED_TIME}


def test_the_zip_carries_the_chosen_config_and_entry_grades_with_it(tmp_path):
    settings = write_file(tmp_path, "course.toml", "submissions_per_day = 3\n")
    names = package.build(tmp_path / "autograder.zip", config=settings)
    assert "config.toml" in names
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert archive.read("config.toml") == settings.read_bytes()
    assert entry.settings(settings).submissions_per_day == 3
    defaults = entry.settings(tmp_path / "absent.toml")
    assert defaults.sandbox.unseen_container_mb == entry.GRADESCOPE_MEMORY_MB == 768   # Gradescope's container
    assert dataclasses.replace(defaults, sandbox=CONFIG.sandbox) == CONFIG


def test_a_zip_built_with_a_config_grades_with_it_on_gradescope(gradescope_root, tmp_path):
    settings = write_file(tmp_path, "course.toml", "[points]\noutput_size = 15\n")
    configured = tmp_path / "configured.zip"
    package.build(configured, config=settings)
    results, stdout = run_autograder(gradescope_root, configured, [STENCIL / "convolution.py"])
    assert sum(test["max_score"] for test in results["tests"]) == 105, stdout
    assert "== config: config.toml" in stdout


def test_zip_is_byte_reproducible(autograder_zip, tmp_path):
    again = tmp_path / "again.zip"
    package.build(again)
    assert again.read_bytes() == Path(autograder_zip).read_bytes()


def test_setup_sh_is_valid_bash_and_installs_the_pinned_requirements():
    setup = (ROOT / "autograder" / "gradescope" / "setup.sh").read_text()
    run = (ROOT / "autograder" / "gradescope" / "run_autograder").read_text()
    for script in ("setup.sh", "run_autograder"):
        checked = subprocess.run(["bash", "-n", str(ROOT / "autograder" / "gradescope" / script)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    assert re.search(r'pip install .*--require-hashes -r "\$SOURCE/requirements/pip.txt"', setup)
    assert re.search(r'pip install .*--require-hashes -r "\$SOURCE/requirements/grading-py310.txt"', setup)
    assert "--upgrade" not in setup, "pip is pinned (requirements/pip.txt), never upgraded to whatever is newest"
    assert all("==" in line for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")), "requirements.txt must pin every package"
    venv = re.search(r"^VENV=(\S+)", setup, re.MULTILINE).group(1)
    assert not venv.startswith("/autograder"), "the student user must be able to run the grading Python"
    assert f"{venv}/bin/python" in run, "run_autograder's default Python is the one setup.sh installs"


# -- grading through run_autograder --------------------------------------------------------------------------------

@pytest.mark.slow
def test_solution_gets_full_marks_through_run_autograder(autograder_zip, gradescope_root):
    files = [SOLUTION / "convolution.py", SOLUTION / "assignment.py"]
    lay_out(gradescope_root, autograder_zip, files, METADATA)
    env = dict(os.environ, AUTOGRADER_ROOT=str(gradescope_root), AUTOGRADER_PYTHON=sys.executable)
    seconds, peak, peak_anonymous, _, stdout = run_measured([str(gradescope_root / "source" / "run_autograder")], env)
    results = json.loads((gradescope_root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    print(f"\nsolution via run_autograder: {seconds:.1f} s wall, peak {peak / MB:.0f} MB resident "
          f"({peak_anonymous / MB:.0f} MB anonymous), whole tree")
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) == 100, stdout
    assert all(test["status"] == "passed" for test in results["tests"])
    assert results["extra_data"]["status"] == "graded" and results["stdout_visibility"] == "hidden"
    assert "== result: graded, score 100/100" in stdout and "== isolation:" in stdout
    assert 100 * MB < peak_anonymous < peak < 4096 * MB, "the sampler sees the grader and the TensorFlow worker"
    if IS_ROOT:
        assert results["extra_data"]["isolation"]["mode"] in ("namespaces", "permissions")
        assert results["extra_data"]["isolation"]["uid"] >= CONFIG.sandbox.uid_base
        assert "root-only" in stdout


def test_stencil_scores_zero_with_every_test_listed(autograder_zip, gradescope_root):
    results, _ = run_autograder(gradescope_root, autograder_zip, [STENCIL / "convolution.py",
                                                                  STENCIL / "assignment.py"])
    assert results["score"] == 0
    assert results["extra_data"]["status"] == "graded"
    assert sum(test["max_score"] for test in results["tests"]) == 100
    assert "NotImplementedError" in scored_tests(results)["2.2"]["output"]


def test_syntax_error_scores_zero_with_a_clear_message(autograder_zip, gradescope_root, tmp_path):
    broken = write_file(tmp_path, "convolution.py", "import numpy as np\n\ndef conv2d(inputs, filters:\n    pass\n")
    results, stdout = run_autograder(gradescope_root, autograder_zip, [broken])
    assert results["score"] == 0
    assert sum(test["max_score"] for test in results["tests"]) == 100
    message = scored_tests(results)["2.2"]["output"]
    assert "SyntaxError" in message and "line 3" in message, message


CHEAT = '''
import json, os, signal
probe = dict()
try:
    open({hidden!r}, "rb").read(1)
    probe["read_source"] = "yes"
except OSError as error:
    probe["read_source"] = type(error).__name__
try:
    with open({results!r}, "w") as forged:
        json.dump({{"score": 999, "output": "forged", "tests": []}}, forged)
    probe["wrote_results"] = "yes"
except OSError as error:
    probe["wrote_results"] = type(error).__name__
probe["killed_grader"] = "killed itself trying"    # in the sandbox's PID namespace the parent's group may be its own
print("PROBE" + json.dumps(probe), flush=True)      # the view has no folder the test could read: the output is it
try:
    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)     # the grader's process group, then the grader
    os.kill(os.getppid(), signal.SIGKILL)
    probe["killed_grader"] = "yes"
except OSError as error:
    probe["killed_grader"] = type(error).__name__
print("PROBE" + json.dumps(probe), flush=True)

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    raise NotImplementedError

def conv2d(inputs, filters, strides, padding):
    raise NotImplementedError
'''


def test_student_code_cannot_read_the_source_forge_results_or_kill_the_grader(autograder_zip, gradescope_root,
                                                                           tmp_path):
    cheat = write_file(tmp_path, "convolution.py", CHEAT.format(
        hidden=str(gradescope_root / "source" / "autograder" / "fixtures" / "hidden.npz"),
        results=str(gradescope_root / "results" / "results.json")))
    hidden_config = gradescope_root / "source" / "autograder" / "config.py"

    def source_readable_before(root):
        if IS_ROOT:    # as unzipped, the source is readable: the run must be what hides it
            assert readable_by_student(hidden_config)
    results, stdout = run_autograder(gradescope_root, autograder_zip, [cheat], before_run=source_readable_before)
    printed = [line for line in json.dumps(results).replace("\\n", "\n").splitlines() if "PROBE{" in line]
    probe = json.loads(printed[-1].split("PROBE", 1)[1].replace('\\"', '"').split("}")[0] + "}")
    assert "forged" not in json.dumps(results) and results["score"] != 999
    if IS_ROOT:
        # refused by permissions, or not even there in the sandbox's view
        refused = {"PermissionError", "FileNotFoundError", "ProcessLookupError", "killed itself trying"}
        assert set(probe) == {"read_source", "wrote_results", "killed_grader"} and set(probe.values()) <= refused, \
            probe
        assert results["extra_data"]["status"] == "graded", "the score comes from the grader, not the fallback"
        assert results["score"] == 0 and len(results["tests"]) == len(zero_tests(""))
        assert not readable_by_student(hidden_config)
        assert not readable_by_student(gradescope_root / "source")
        assert not readable_by_student(gradescope_root / "results")
    else:      # without root there is no isolation: at least the grader's death must not leave the forgery standing
        assert results["extra_data"].get("fallback") or results["extra_data"]["status"] == "graded"


KILLED_GRADER = '''#!/bin/sh
echo '{"score": 999, "output": "forged", "tests": []}' > "$AUTOGRADER_ROOT/results/results.json"
kill -KILL 0
'''


@pytest.mark.parametrize("how, exit_status", [("killed", 137), ("crashed", 1)])
def test_results_json_appears_when_the_grader_dies(autograder_zip, gradescope_root, tmp_path, how, exit_status):
    if how == "killed":      # writes a forged results.json, then SIGKILLs its own process group mid-way
        python = write_file(tmp_path, "python", KILLED_GRADER)
        python.chmod(0o755)
    else:
        python = shutil.which("false")
    results, stdout = run_autograder(gradescope_root, autograder_zip, [SOLUTION / "convolution.py"], python=python)
    assert results["score"] == 0    # the same shape as the grader's own: every test listed, at 0, with the reason
    assert [test["number"] for test in results["tests"]] == [test.number for test in zero_tests("")]
    assert all(test["score"] == 0 and "Not graded:" in test["output"] for test in results["tests"])
    assert results["extra_data"] == {"status": "error", "fallback": True, "exit_status": exit_status}
    assert "could not be graded" in results["output"]
    assert "== fallback:" in stdout


def test_the_hidden_score_cannot_be_computed_before_publication(autograder_zip, gradescope_root, tmp_path):
    """Gradescope hides the total while a scored test is held back (after_published / after_due_date); our own
    output must not state it either, or the total minus the visible tests would give the hidden part's score."""
    correct = ROOT / "examples" / "submissions" / "correct_tensordot" / "convolution.py"
    results, stdout = run_autograder(gradescope_root, autograder_zip, [correct])
    held_back = [test for test in results["tests"] if test["visibility"] != "visible"]
    assert [test["number"] for test in held_back] == ["2.4"]
    assert held_back[0]["visibility"] == CONFIG.hidden_visibility in entry.HELD_BACK, "never 'hidden' with points"
    assert held_back[0]["score"] == held_back[0]["max_score"] > 0 and results["visibility"] == "visible"
    visible = [test for test in results["tests"] if test["visibility"] == "visible"]
    shown = sum(test["score"] for test in visible)
    assert shown < results["score"], "the hidden part scored, so the total differs from what is shown"
    assert f"{results['score']:g} /" not in results["output"] and "**Score:" not in results["output"]
    assert f"Score of the tests shown now: {shown:g} / {sum(test['max_score'] for test in visible):g}" \
        in results["output"]
    assert "Test 2.4 (20 points) is graded too" in results["output"]
    assert f"score {results['score']:g}/100" in stdout, "the instructor still sees the total"
    # a local grading writes the same results.json: the same tests, scores, visibility and withheld total
    shutil.copy(correct, tmp_path / "convolution.py")      # what the zip run was given: convolution.py alone
    local = json.loads(report.SUBMISSION_FILES["results.json"](grade.grade_submission(tmp_path)))
    assert [(t["number"], t["score"], t["max_score"], t["visibility"]) for t in local["tests"]] == \
        [(t["number"], t["score"], t["max_score"], t["visibility"]) for t in results["tests"]]
    assert local["score"] == results["score"] and local["output"].split("\n\n")[0] == results["output"].split("\n\n")[0]


def test_a_scored_test_is_never_written_hidden():
    """Gradescope shows the total despite `hidden` tests (meant for 0-point tests): a scored one is held back."""
    results = {"score": 15, "output": "**Score: 15 / 30**", "tests": [
        {"number": "1.1", "score": 10, "max_score": 10, "visibility": "visible"},
        {"number": "2.4", "score": 5, "max_score": 20, "visibility": "hidden"},
        {"number": "9.9", "score": 0, "max_score": 0, "visibility": "hidden"}]}
    safe = entry.student_safe(results)
    assert [test["visibility"] for test in safe["tests"]] == ["visible", "after_published", "hidden"]
    assert safe["output"].startswith("**Score of the tests shown now: 10 / 10.** Test 2.4 (20 points)")
    assert "15" not in safe["output"]
    unchanged = {"score": 10, "output": "**Score: 10 / 10**",
                 "tests": [{"number": "1.1", "score": 10, "max_score": 10, "visibility": "visible"}]}
    assert entry.student_safe(dict(unchanged))["output"] == "**Score: 10 / 10**"


def test_time_limit_stops_grading_and_the_grader_still_reports(autograder_zip, gradescope_root):
    hangs = ROOT / "examples" / "submissions" / "hangs" / "convolution.py"

    def patient_calls(root):   # the hang outlasts the time limit, so the limit (not a call's timeout) stops it
        config = root / "source" / "autograder" / "config.py"
        text = config.read_text()
        assert "call_timeout_s: float = 10.0" in text
        config.write_text(text.replace("call_timeout_s: float = 10.0", "call_timeout_s: float = 600.0"))
    # 20 s: part 1.1 is graded within it on a loaded machine (~2 s here when quiet)
    results, stdout = run_autograder(gradescope_root, autograder_zip, [hangs], before_run=patient_calls,
                                     extra_env={"AUTOGRADER_TIME_LIMIT_S": "20"})
    assert results["extra_data"]["status"] == "error" and not results["extra_data"].get("fallback"), stdout
    assert "time limit" in results["output"] and "SIGTERM received during 2.1" in stdout
    assert "while part 2.1 (" in results["output"] and "conv2d" in results["output"]
    tests = {test["number"]: test for test in results["tests"]}
    assert tests["1.1"]["score"] == tests["1.1"]["max_score"] > 0, "graded before the hang: its points are kept"
    assert results["score"] == tests["1.1"]["score"]
    assert "Not reached" in tests["4.1"]["output"]


def patient_calls(root):
    """A hang that outlasts any limit of the test: only the signal stops it (not a call's timeout)."""
    config = root / "source" / "autograder" / "config.py"
    text = config.read_text()
    assert "call_timeout_s: float = 10.0" in text
    config.write_text(text.replace("call_timeout_s: float = 10.0", "call_timeout_s: float = 600.0"))


@pytest.mark.parametrize("to", ["run_autograder alone", "its process group"])
def test_sigterm_from_gradescope_is_its_time_limit_partial_results_and_no_process_left(autograder_zip,
                                                                                        gradescope_root, to):
    # Before, SIGTERM to run_autograder ended the shell at once: no fallback was written, and the grader and its
    # sandbox went on as orphans until the shell's own `timeout` (9 minutes).
    hangs = ROOT / "examples" / "submissions" / "hangs" / "convolution.py"
    lay_out(gradescope_root, autograder_zip, [hangs], METADATA)
    patient_calls(gradescope_root)
    env = dict(os.environ, AUTOGRADER_ROOT=str(gradescope_root), AUTOGRADER_PYTHON=sys.executable)
    process = subprocess.Popen([str(gradescope_root / "source" / "run_autograder")], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    # bash, timeout, the grader and its sandbox (3 processes); then a few seconds for part 1.1 to finish
    while len(process_tree(process.pid)) < 6:
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()[0][-3000:]
        time.sleep(0.2)
    time.sleep(5)
    processes = process_tree(process.pid)
    (os.kill if to == "run_autograder alone" else os.killpg)(process.pid, signal.SIGTERM)
    stdout, _ = process.communicate(timeout=120)
    assert process.returncode == 0, stdout
    results = json.loads((gradescope_root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["extra_data"]["status"] == "error" and not results["extra_data"].get("fallback"), stdout
    assert "time limit" in results["output"] and "SIGTERM received during 2.1" in stdout
    tests = {test["number"]: test for test in results["tests"]}
    assert tests["1.1"]["score"] == tests["1.1"]["max_score"] > 0, "graded before the signal: its points are kept"
    assert still_running(processes) == [], f"left running: {still_running(processes)} of {processes}"


def test_daily_limit_refuses_grading_end_to_end(autograder_zip, gradescope_root):
    now = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    metadata = dict(METADATA, created_at=now.isoformat(), previous_submissions=[
        {"submission_time": (now - timedelta(hours=hours)).isoformat(), "score": score,
         "results": {"extra_data": {"status": "graded"}}}
        for hours, score in ((20, 40.0), (3, 75.0))])

    def limit_two_per_day(root):     # what an instructor does in autograder/config.py before `make autograder`
        config = root / "source" / "autograder" / "config.py"
        text = config.read_text()
        assert "submissions_per_day: int = 0" in text
        config.write_text(text.replace("submissions_per_day: int = 0", "submissions_per_day: int = 2"))
    results, stdout = run_autograder(gradescope_root, autograder_zip, [SOLUTION / "convolution.py"],
                                     metadata=metadata, before_run=limit_two_per_day)
    assert results["score"] == 0 and results["extra_data"]["status"] == entry.OVER_DAILY_LIMIT
    assert "2025-03-01 16:00" in results["output"], results["output"]     # the 20-hours-old one leaves the window
    assert "75" in results["output"] and "Activate" in results["output"]
    assert sum(test["max_score"] for test in results["tests"]) == 100
    assert "daily limit (2 per 24 h) reached" in stdout


# -- the daily limit's arithmetic ------------------------------------------------------------------------------------

def submitted(now, *hours_ago, status="graded"):
    return [{"submission_time": (now - timedelta(hours=hours)).isoformat(), "score": 10.0,
             "results": {"extra_data": {"status": status}}} for hours in hours_ago]


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_daily_limit_counts_graded_submissions_in_the_last_24_hours():
    metadata = {"created_at": NOW.isoformat(), "previous_submissions": submitted(NOW, 30, 23, 1)}
    assert entry.daily_limit_refusal(metadata, 3) is None                 # the 30-hours-old one is outside
    refusal = entry.daily_limit_refusal(metadata, 2)
    assert refusal and "2025-03-01 13:00" in refusal                     # 23 hours ago + 24 hours
    assert "2025-03-02 11:00" in entry.daily_limit_refusal(metadata, 1)  # the newest one must leave


def test_daily_limit_ignores_refused_attempts_and_is_off_by_default():
    metadata = {"created_at": NOW.isoformat(),
                "previous_submissions": submitted(NOW, 2) + submitted(NOW, 1, status=entry.OVER_DAILY_LIMIT)}
    assert entry.daily_limit_refusal(metadata, 2) is None
    assert entry.daily_limit_refusal(metadata, 1) is not None
    assert CONFIG.submissions_per_day == 0
    assert entry.daily_limit_refusal(metadata, CONFIG.submissions_per_day) is None
    assert entry.daily_limit_refusal({"previous_submissions": submitted(NOW, 1)}, 1) is None, "no created_at"


def test_gradescope_times_are_read_with_their_offset():
    assert entry.parse_time("2018-07-01T14:22:32.365935-07:00") == datetime(2018, 7, 1, 21, 22, 32, 365935,
                                                                            tzinfo=timezone.utc)
    assert entry.parse_time("2018-07-01T21:22:32Z") == datetime(2018, 7, 1, 21, 22, 32, tzinfo=timezone.utc)
    assert entry.parse_time("yesterday") is None and entry.parse_time(None) is None


def test_the_time_limit_message_names_the_part_and_what_to_fix():
    """Training running out of time is not blamed on conv2d's loops, nor conv2d on training."""
    def partial(finished):
        tests = [SimpleNamespace(number=n, output="done" if n in finished else NOT_REACHED)
                 for n in ("1.1", "2.1", "2.2", "2.3", "2.5", "3.1", "4.1", "4.2", "2.4")]
        return SimpleNamespace(tests=tests)
    during_training = entry.running_part(partial({"1.1", "2.1", "2.2", "2.3", "2.5", "3.1"}))
    assert during_training.number == "4.1"
    message = entry.time_limit_message(during_training)
    assert "while part 4.1" in message and "training" in message and "conv2d" not in message
    during_conv = entry.time_limit_message(entry.running_part(partial({"1.1"})))
    assert "while part 2.1" in during_conv and "loops in conv2d" in during_conv
    assert entry.running_part(None).number == "1.1"
