"""The zip as Gradescope runs it, in the runtime students' code really meets there.

Not the development environment: an environment built from the grading lock alone (measure.grading_environment:
world-readable, on the system's Python, the libraries that convolve restricted as setup.sh restricts them), and
run_autograder started without CAP_SYS_ADMIN, as Docker starts Gradescope's containers, so the sandbox cannot use
namespaces and works by permissions. Every bundled example, the solution and the stencil must score what they score
in `make grade` (tests/test_examples.py's promises), the notebook included; and in a 768 MB memory cgroup, as
Gradescope's default container, the solution still gets full marks and a memory blow-up costs only its own points.
"""
import os
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder import verdicts
from autograder.gradescope import package
from autograder.gradescope.measure import grading_environment, run_like_gradescope
from conftest import SOLUTION, STENCIL
from test_examples import EXAMPLES, PROMISES, full_marks

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs run_autograder as root")]

METADATA = {"id": 1, "created_at": "2026-11-01T12:00:00.000000-05:00", "previous_submissions": [],
            "users": [{"email": "s@example.edu", "name": "S", "id": 1}], "assignment": {"title": "CNN"}}


def stencil_scores_zero(result):
    assert result.score == 0 and result.status == "graded"


SUBMISSIONS = {**{name: EXAMPLES / name for name in PROMISES}, "solution": SOLUTION, "stencil": STENCIL}
CHECKS = {**PROMISES, "solution": full_marks, "stencil": stencil_scores_zero}


def submission_files(folder):
    names = ("convolution.py", "assignment.py", "preprocess.py")
    return [path for path in sorted(Path(folder).iterdir())
            if path.name in names or path.suffix == ".ipynb" and folder != STENCIL]


def as_result(results):
    """results.json as the object test_examples' promises read."""
    extra = results.get("extra_data", {})
    tests = [SimpleNamespace(number=t["number"], score=t["score"], max_score=t["max_score"], output=t["output"],
                             passed=t["score"] >= t["max_score"]) for t in results["tests"]]
    return SimpleNamespace(tests=tests, score=results["score"], max_score=sum(t.max_score for t in tests),
                           status=extra.get("status"), flags=extra.get("flags", []), output=results["output"],
                           diagnosis=extra.get("diagnosis", ""), execution_time=results["execution_time"],
                           isolation=extra.get("isolation", {}))


@pytest.fixture(scope="module")
def python():
    return grading_environment()


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("dist") / "autograder.zip"
    package.build(path)
    return path


@pytest.fixture(scope="module")
def graded(autograder_zip, python):
    """Every submission through the zip, two at a time (as `make grade` on 2 cores)."""
    with ThreadPoolExecutor(2) as pool:
        runs = {name: pool.submit(run_like_gradescope, autograder_zip, submission_files(folder), python,
                                  metadata=METADATA)
                for name, folder in SUBMISSIONS.items()}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_each_submission_scores_in_the_grading_runtime_what_make_grade_gives(graded, name):
    results, stdout, _ = graded[name]
    result = as_result(results)
    assert result.status == "graded", stdout[-3000:]
    CHECKS[name](result)
    assert result.isolation["mode"] == "permissions", "without CAP_SYS_ADMIN there are no namespaces"
    assert result.isolation["seccomp"] is True and result.isolation["network_blocked"] is True, \
        "the seccomp filter needs no CAP_SYS_ADMIN: it holds here, and the report says it was seen"


def test_the_runtime_has_what_student_files_import(python):
    """matplotlib (loss plots at the top of assignment.py, the release notebook) with a headless backend."""
    completed = subprocess.run([str(python), "-c", "import matplotlib, matplotlib.pyplot as plt; plt.plot([1]); "
                                "plt.show(); print(matplotlib.get_backend())"], capture_output=True, text=True,
                               env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert completed.returncode == 0 and completed.stdout.strip().lower() == "agg", completed.stderr


HEADROOM_MB = 100     # of Gradescope's 768 MB, left over at the container's peak of memory that cannot be reclaimed


@pytest.mark.parametrize("name, cgroup_view", [("solution", "read-only"), ("memory_hog", "read-only"),
                                               ("memory_hog", "hidden")])
def test_in_gradescopes_default_container_the_grader_survives_and_memory_costs_only_its_points(
        autograder_zip, python, name, cgroup_view):
    """768 MB and 0.5 CPU, started cold (the grading's files evicted from the page cache), the cgroup filesystem as
    Docker shows it: read-only (no sandbox cgroup can be made: the rlimits and the memory poll hold), or hidden
    (the grader cannot read its limit and assumes Gradescope's 768 MB). The student gets the memory message, never
    "killed by signal 9", and the container keeps HEADROOM_MB."""
    try:
        results, stdout, stats = run_like_gradescope(autograder_zip, submission_files(SUBMISSIONS[name]), python,
                                                     memory_mb=768, cpu_fraction=0.5, metadata=METADATA,
                                                     cgroup_view=cgroup_view, cold=True)
    except OSError as error:
        pytest.fail(f"no cgroup (v1 memory and cpu, or v2) can be made here to stand for the container: {error}")
    result = as_result(results)
    print(f"\n{name}, cgroup {cgroup_view}, 768 MB at 0.5 CPU, cold: score {result.score}, "
          f"{stats['seconds']:.0f} s, sandbox limit {result.isolation.get('memory_limit_mb')} MB, container peak "
          f"{stats['peak_mb']:.0f} MB ({stats['peak_unreclaimable_mb']:.0f} MB unreclaimable), "
          f"OOM kills {stats['oom_kills']}")
    assert result.status == "graded", f"the grader itself was killed or failed:\n{stdout[-3000:]}"
    CHECKS[name](result)
    assert result.isolation["cgroup"] is None, "Docker's read-only cgroup filesystem allows no sandbox group"
    assert result.isolation["container_memory_mb"] == 768
    assert ("container_memory_note" in result.isolation) == (cgroup_view == "hidden")
    assert stats["oom_kills"] == 0
    assert stats["peak_unreclaimable_mb"] <= 768 - HEADROOM_MB
    assert "signal 9" not in json.dumps(results)


# The rule, speed and lookup attacks of the catalogue, through the zip too: on Gradescope the conv2d parts' NumPy-only
# worker is enforced by permissions (setup.sh's restrict_libraries), not by a mount view.
ZIP_ATTACKS = ("tf_conv_in_a_thread", "trap_record_stubbed", "scipy_private_convolve", "tf_conv_only_for_big_batches",
               "extension_by_path_from_base_interpreter", "reads_submission_metadata", "sends_inputs_over_the_network",
               "speed_precomputed_on_upload", "speed_fills_output_after_reply", "speed_predicts_seeded_inputs",
               "model_nearest_neighbour_lookup", "model_lookup_scaled_by_conv", "model_lookup_notices_probes",
               "model_lookup_learns_class_ids")
CATALOGUE = Path(__file__).resolve().parent / "catalogue" / "attacks"


@pytest.mark.parametrize("name", ZIP_ATTACKS)
def test_rule_speed_and_lookup_attacks_are_defeated_through_the_zip(autograder_zip, python, name):
    verdict = json.loads((CATALOGUE / name / "verdict.json").read_text())
    files = sorted(path for path in (CATALOGUE / name).iterdir() if path.suffix == ".py")
    results, stdout, _ = run_like_gradescope(autograder_zip, files, python, metadata=METADATA)
    result = as_result(results)
    assert result.status == "graded", stdout[-3000:]
    scores = {test.number: test.score for test in result.tests}
    maxima = {test.number: test.max_score for test in result.tests}
    assert verdicts.score_problems(verdict, scores, maxima, result.score, result.flags) == []


SECRET = "held-back-2.4-score-31337"       # what an earlier submission's results in the metadata must never show


def test_no_network_no_metadata_and_no_grader_names_the_gradescope_way(autograder_zip, python, tmp_path):
    """Issue 20, run the Gradescope way (no CAP_SYS_ADMIN: permissions, no network namespace): a submission that
    sends every conv2d call's inputs to a listener gets nothing through (TCP or UDP), prints no metadata, and sees no
    folder name of the grader's in /tmp, while its honest conv2d still scores."""
    import socket
    entry = CATALOGUE / "sends_inputs_over_the_network"
    port = json.loads((entry / "verdict.json").read_text())["port"]
    metadata_reader = (CATALOGUE / "reads_submission_metadata" / "convolution.py").read_text()
    reading = metadata_reader[metadata_reader.index("for path in"):metadata_reader.index("def conv_output_size")]
    source = (entry / "convolution.py").read_text() + "\nimport glob, os\n" + reading + (
        "print('TMP', sorted(name for name in os.listdir('/tmp') if name.startswith(('cnn-', 'grader-', 'tmp')))"
        " if os.access('/tmp', os.R_OK) else 'TMP unlistable')\n")
    (tmp_path / "convolution.py").write_text(source)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    listener.setblocking(False)
    datagrams = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    datagrams.bind(("127.0.0.1", port))
    datagrams.setblocking(False)
    metadata = dict(METADATA, previous_submissions=[{"submission_time": "2026-10-31T12:00:00-05:00", "score": 98,
                                                     "results": {"tests": [{"name": SECRET, "score": 9}]}}])
    try:
        results, stdout, _ = run_like_gradescope(autograder_zip, [tmp_path / "convolution.py"], python,
                                                 metadata=metadata)
        with pytest.raises(BlockingIOError):
            listener.accept()
        with pytest.raises(BlockingIOError):
            datagrams.recv(65536)
    finally:
        listener.close()
        datagrams.close()
    result = as_result(results)
    assert result.status == "graded", stdout[-3000:]
    assert result.isolation["mode"] == "permissions" and result.isolation["network_blocked"] is True
    visible = json.dumps(results)
    assert SECRET not in visible and "METADATA" not in visible
    assert "no metadata at" in visible, "the submission's probe ran and printed"
    printed = [line for line in visible.replace("\\n", "\n").splitlines() if "TMP" in line]
    assert printed and not any("cnn-" in line or "grader-" in line for line in printed), printed
    scores = {test.number: test.score for test in result.tests}
    assert all(scores[number] == test.max_score for number in ("2.2", "2.3") for test in result.tests
               if test.number == number)
