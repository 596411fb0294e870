"""Batch grading: every submission present, resumable, interruptible, shardable, Gradescope exports understood."""
import csv
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from autograder import batch, report
from autograder.batch import find_submissions, grade_all, pool, run_in_pool, shard_of
from autograder.config import CONFIG
from conftest import ROOT, process_tree, still_running

EXAMPLES = ROOT / "examples" / "submissions"
CONFIG_TOTAL = sum(float(value) for value in vars(CONFIG.points).values())
FAST = ("flipped_kernel", "ignores_stride", "symmetric_same_padding", "crashes_on_import")


@pytest.fixture
def classroom(tmp_path):
    """A folder of fast submissions in every accepted form: folders, a .zip (one folder deep) and a single .py."""
    room = tmp_path / "class"
    room.mkdir()
    for name in FAST:
        shutil.copytree(EXAMPLES / name, room / name)
    with zipfile.ZipFile(room / "zipped.zip", "w") as archive:
        archive.write(EXAMPLES / "flipped_kernel" / "convolution.py", "my_work/convolution.py")
    shutil.copyfile(EXAMPLES / "ignores_stride" / "convolution.py", room / "single.py")
    (room / "notes.txt").write_text("not a submission")
    return room


def csv_rows(out):
    with open(out / "grades.csv") as stream:
        return {row["submission"]: row for row in csv.DictReader(stream)}


def test_every_submission_form_is_graded_and_listed(classroom, tmp_path):
    out = tmp_path / "out"
    results = grade_all([classroom], out, jobs=2, progress=False)
    names = {r.name for r in results if r.status != "skipped"}
    assert names == set(FAST) | {"zipped", "single"}
    assert [r.name for r in results if r.status == "skipped"] == ["notes.txt"]      # listed, with why
    rows = csv_rows(out)
    assert set(rows) == names | {"notes.txt"}
    assert rows["zipped"]["diagnosis"] == "flipped_kernel" and rows["single"]["diagnosis"] == "stride_ignored"
    assert rows["crashes_on_import"]["flags"] == "import-error:convolution.py"
    for name in names:
        assert json.loads((out / name / "results.json").read_text())["tests"]
    assert "Flagged submissions" in (out / "summary.md").read_text()


def test_rerun_resumes_and_regrades_only_what_changed(classroom, tmp_path):
    out = tmp_path / "out"
    grade_all([classroom], out, jobs=2, progress=False)
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    with open(classroom / "flipped_kernel" / "convolution.py", "a") as stream:
        stream.write("\n# changed after the first run\n")
    grade_all([classroom], out, jobs=2, progress=False)
    changed = {p.parent.name for p in out.glob("*/results.json") if p.stat().st_mtime_ns != stamps[p.parent.name]}
    assert changed == {"flipped_kernel"}
    grade_all([classroom], out, jobs=2, force=True, progress=False)
    changed = {p.parent.name for p in out.glob("*/results.json") if p.stat().st_mtime_ns != stamps[p.parent.name]}
    assert changed == set(stamps)


def test_shards_cover_the_class_once_and_merge_into_one_csv(classroom, tmp_path):
    names = sorted(find_submissions([classroom]))
    shards = [shard_of(names, f"{i}/3") for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == names
    for i in (1, 2):
        grade_all([classroom], tmp_path / f"shard{i}", shard=f"{i}/2", progress=False)
    merged = tmp_path / "merged"
    command = [sys.executable, "-m", "autograder", "merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"),
               "--out", str(merged)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert sorted(csv_rows(merged)) == names
    with pytest.raises(ValueError):
        shard_of(names, "3/2")


def test_gradescope_export_names_the_students(tmp_path):
    export = tmp_path / "assignment_123_export"
    for folder, example in (("submission_1001", "flipped_kernel"), ("submission_1002", "ignores_stride")):
        shutil.copytree(EXAMPLES / example, export / folder)
    (export / "submission_metadata.yml").write_text(
        "submission_1001:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1'\n    :email: ada@example.edu\n"
        "  :created_at: 2026-11-20 10:00:00.000000000 -08:00\n"
        "submission_1002:\n  :submitters:\n  - :name: Alan Turing\n    :email: alan@example.edu\n"
        "  - :name: Grace Hopper\n    :email: grace@example.edu\n"
        "submission_1003:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1'\n    :email: ada@example.edu\n"
        "  :created_at: 2026-11-21 09:00:00.000000000 -08:00\n")
    (export / "submission_1003").mkdir()
    shutil.copy(ROOT / "solution" / "convolution.py", export / "submission_1003" / "convolution.py")
    grade_all([export], tmp_path / "out", progress=False)
    rows = csv_rows(tmp_path / "out")
    assert rows["submission_1001"]["student"] == "Ada Lovelace <ada@example.edu>"
    assert rows["submission_1002"]["student"] == "Alan Turing <alan@example.edu>, Grace Hopper <grace@example.edu>"
    # the gradebook: one row per student, a group expanded, Ada's later submission counting
    book = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert [(row["name"], row["sid"], row["submission"]) for row in book] == [
        ("Ada Lovelace", "1", "submission_1003"), ("Alan Turing", "", "submission_1002"),
        ("Grace Hopper", "", "submission_1002")]
    assert book[1]["score"] == book[2]["score"] and float(book[1]["score"]) == pytest.approx(
        float(rows["submission_1002"]["score"]), abs=0.005)
    # Canvas's import: its documented columns, a Points Possible row, the student ID and login to match on
    canvas = list(csv.reader((tmp_path / "out" / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", report.CANVAS_ASSIGNMENT]
    assert canvas[1][0] == "Points Possible" and float(canvas[1][5]) == CONFIG_TOTAL
    assert canvas[2][:4] == ["Ada Lovelace", "", "1", "ada@example.edu"]
    assert float(canvas[2][5]) == float(rows["submission_1003"]["score"]) and len(canvas) == 5


@pytest.mark.slow
def test_ctrl_c_keeps_finished_results_and_a_consistent_csv(tmp_path):
    room = tmp_path / "class"
    room.mkdir()
    for name in ("flipped_kernel", "hangs", "slow_four_loops"):
        shutil.copytree(EXAMPLES / name, room / name)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(room), "--out", str(out),
                                "--jobs", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / "flipped_kernel" / "results.json").exists():     # sorted order: flipped_kernel first
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)                                                    # now inside "hangs"
    os.killpg(process.pid, signal.SIGINT)                              # what Ctrl-C does on a terminal
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    rows = csv_rows(out)
    assert set(rows) == {"flipped_kernel", "hangs", "slow_four_loops"}
    assert rows["flipped_kernel"]["status"] == "graded" and rows["slow_four_loops"]["status"] == "pending"
    assert json.loads((out / "flipped_kernel" / "results.json").read_text())["score"] > 0


def interrupted_batch(tmp_path, send):
    """A real batch (`python -m autograder grade`, 2 pool processes) of a fast submission, a hanging one and one
    more, stopped by `send(pid)` while the hanging one is graded in its sandbox. Returns (the batch's processes
    seen just before the signal, the batch's exit status, its stderr, the class folder, the output folder)."""
    room = tmp_path / "class"
    for name, example in (("a_flipped", "flipped_kernel"), ("b_hangs", "hangs"), ("c_stride", "ignores_stride")):
        shutil.copytree(EXAMPLES / example, room / name)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(room), "--out", str(out),
                                "--jobs", "2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while True:                   # until a_flipped is done and b_hangs' sandbox runs (5 or more processes below)
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()[1][-2000:]
        if (out / "a_flipped" / "results.json").exists() and len(process_tree(process.pid)) >= 5:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    batch_processes = process_tree(process.pid)
    send(process.pid)
    _, stderr = process.communicate(timeout=90)
    return batch_processes, process.returncode, stderr.decode(), room, out


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("to", ["the main process", "the process group"])
def test_sigterm_or_sighup_stops_a_batch_as_ctrl_c_does(tmp_path, signum, to):
    # Before: SIGTERM ended the main process at once, its pool processes went on grading as orphans, and no
    # grades.csv was written; sent to the group, every running submission was marked time-limit.
    send = (lambda pid: os.kill(pid, signum)) if to == "the main process" else (lambda pid: os.killpg(pid, signum))
    processes, status, stderr, room, out = interrupted_batch(tmp_path, send)
    assert status == 128 + signum, stderr
    assert f"interrupted ({signal.Signals(signum).name})" in stderr
    deadline = time.monotonic() + 10        # the main process waited for its pool: nothing should be left now
    while still_running(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_running(processes) == [], f"left running: {still_running(processes)} of {processes}"
    rows = csv_rows(out)
    assert set(rows) == {"a_flipped", "b_hangs", "c_stride"}
    assert rows["a_flipped"]["status"] == "graded"
    assert rows["b_hangs"]["status"] == "pending" and rows["b_hangs"]["flags"] == ""
    assert rows["c_stride"]["status"] in ("pending", "graded")        # it may have finished before the signal
    assert not (out / "b_hangs" / "results.json").exists()
    assert "pending" in (out / "summary.md").read_text()


@pytest.mark.slow
def test_a_batch_stopped_by_sigterm_resumes_on_the_next_run(tmp_path):
    processes, status, stderr, room, out = interrupted_batch(tmp_path, lambda pid: os.killpg(pid, signal.SIGTERM))
    assert status == 128 + signal.SIGTERM, stderr
    first = (out / "a_flipped" / "results.json").stat().st_mtime_ns
    shutil.rmtree(room / "b_hangs")                     # the hang itself would take the rerun minutes
    (room / "b_fixed").mkdir()
    shutil.copyfile(EXAMPLES / "flipped_kernel" / "convolution.py", room / "b_fixed" / "convolution.py")
    again = subprocess.run([sys.executable, "-m", "autograder", "grade", str(room), "--out", str(out), "--jobs", "2"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    rows = csv_rows(out)
    assert {name: row["status"] for name, row in rows.items()} == \
        {"a_flipped": "graded", "b_fixed": "graded", "c_stride": "graded"}
    assert (out / "a_flipped" / "results.json").stat().st_mtime_ns == first       # not graded again


@pytest.mark.slow
@pytest.mark.parametrize("to", ["the main process", "the process group"])
def test_sigterm_stops_the_verdicts_and_leaves_no_process(to):
    process = subprocess.Popen([sys.executable, "-m", "autograder", "verdicts", "--only", "attacks/infinite_loop",
                                "attacks/forks_in_a_loop", "--jobs", "2", "--no-determinism"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(process_tree(process.pid)) < 7:      # the main process, two pool processes, their sandboxes
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()[1][-2000:]
        time.sleep(0.2)
    time.sleep(1.0)
    processes = process_tree(process.pid)
    (os.kill if to == "the main process" else os.killpg)(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert b"interrupted (SIGTERM)" in stderr
    deadline = time.monotonic() + 10
    while still_running(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_running(processes) == [], f"left running: {still_running(processes)} of {processes}"


# -- discovery: a loose notebook is its own submission ----------------------------------------------------------

def test_a_loose_notebook_beside_submission_folders_is_its_own_submission(tmp_path):
    room = tmp_path / "class"
    for name in ("a", "b"):
        shutil.copytree(EXAMPLES / "flipped_kernel", room / name)
    shutil.copyfile(next((EXAMPLES / "notebook").glob("*.ipynb")), room / "x.ipynb")
    assert not batch.is_submission(room)
    assert sorted(find_submissions([room])) == ["a", "b", "x"]


def test_a_folder_with_one_notebook_and_no_submission_inside_is_one_submission(tmp_path):
    folder = tmp_path / "student"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "notes.txt").write_text("not a submission")
    shutil.copyfile(next((EXAMPLES / "notebook").glob("*.ipynb")), folder / "homework.ipynb")
    (folder / "preprocess.py").write_text("")
    assert batch.is_submission(folder)
    assert list(find_submissions([folder])) == ["student"]
    (folder / "second.ipynb").write_text("{}")
    assert not batch.is_submission(folder)          # two notebooks: a folder of submissions


def test_links_in_a_class_folder_are_listed_and_never_followed(tmp_path):
    room = tmp_path / "class"
    shutil.copytree(EXAMPLES / "flipped_kernel", room / "honest")
    (room / "linked").symlink_to(ROOT / "solution", target_is_directory=True)
    os.mkfifo(room / "honest" / "pipe")
    assert sorted(find_submissions([room])) == ["honest", "linked"]
    batch.submission_hash_of(room / "honest")       # returns (a fifo is not opened for reading)
    batch.submission_hash_of(room / "linked")
    results = {r.name: r for r in grade_all([room], tmp_path / "out", jobs=1, progress=False)}
    assert results["linked"].status == "error" and "symbolic link" in results["linked"].output
    assert results["linked"].score == 0


# -- outputs are inert ---------------------------------------------------------------------------------------------

def test_a_formula_named_submission_is_text_in_the_csv_and_the_summary(tmp_path):
    room = tmp_path / "class"
    name = '=HYPERLINK("x.example","y")'      # a folder name cannot hold the "/" of "http://x"
    for folder in (name, "-2+3"):          # no convolution.py: error rows, so both are listed in the summary
        (room / folder).mkdir(parents=True)
        (room / folder / "assignment.py").write_text("x = 1\n")
    out = tmp_path / "out"
    grade_all([room], out, jobs=1, progress=False)
    rows = csv_rows(out)
    assert set(rows) == {"'" + name, "'-2+3"}
    assert float(rows["'-2+3"]["score"]) == 0                     # numbers stay numbers
    summary = (out / "summary.md").read_text()
    assert '=HYPERLINK\\("x\\.example","y"\\)' in summary and "-2+3" not in summary and "\\-2\\+3" in summary


def test_csv_cells_and_markdown_are_escaped():
    from autograder.report import markdown_text, spreadsheet_cell
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_cell(start + "1+1") == "'" + start + "1+1"
    assert spreadsheet_cell("Ada Lovelace") == "Ada Lovelace" and spreadsheet_cell(-1.5) == -1.5
    assert markdown_text("*a* [b](c)\n# d <img>") == "\\*a\\* \\[b\\]\\(c\\) \\# d \\<img\\>"


# -- the batch survives a dead pool process and a submission past its time limit -----------------------------------

def _work(kind):
    """A pool task: return, die with its process, hang, or hang while ignoring the time limit's signal."""
    if kind == "dies":
        os._exit(3)
    if kind == "hangs":
        time.sleep(120)
    if kind == "ignores_time_limit":
        signal.signal(pool.TIME_LIMIT_SIGNAL, signal.SIG_IGN)
        time.sleep(120)
    time.sleep(0.3)
    return kind.upper()


def test_a_dead_pool_process_costs_only_its_own_task():
    tasks = {name: (name,) for name in ("a", "b", "dies", "c", "d")}
    outcomes = run_in_pool(_work, tasks, jobs=2)
    assert {key: value for key, (value, failure) in outcomes.items() if failure is None} == \
        {"a": "A", "b": "B", "c": "C", "d": "D"}
    value, (flag, message) = outcomes["dies"]
    assert value is None and flag == "grader-died" and "died" in message


def test_a_task_past_the_time_limit_is_stopped_and_the_rest_finish():
    tasks = {name: (name,) for name in ("a", "hangs", "ignores_time_limit", "b")}
    started = time.monotonic()
    # 5 s: a 0.3 s task finishes within it on a loaded machine; the hung ones (120 s) are stopped at it
    outcomes = run_in_pool(_work, tasks, jobs=2, time_limit=5.0, grace=1.0)
    assert time.monotonic() - started < 60
    assert outcomes["a"] == ("A", None) and outcomes["b"] == ("B", None)
    for key in ("hangs", "ignores_time_limit"):
        assert outcomes[key][1][0] == "time-limit", outcomes[key]


def test_the_batch_gives_a_hung_submission_an_error_row(tmp_path):
    room = tmp_path / "class"
    for name in ("hangs", "crashes_on_import", "flipped_kernel"):
        shutil.copytree(EXAMPLES / name, room / name)
    out = tmp_path / "out"
    # The hang made long (one call may take 10 minutes), the batch's limit 30 s: ten times an ordinary grading here
    # (2-4 s; 8 s made flipped_kernel an error on a loaded machine), and far below the hang's first call.
    patient = dataclasses.replace(CONFIG, sandbox=dataclasses.replace(CONFIG.sandbox, call_timeout_s=600))
    results = {r.name: r for r in grade_all([room], out, jobs=2, progress=False, time_limit=30, config=patient)}
    assert results["hangs"].status == "error" and results["hangs"].flags == ["time-limit"]
    assert results["flipped_kernel"].status == "graded" and results["flipped_kernel"].score > 0
    rows = csv_rows(out)
    assert rows["hangs"]["status"] == "error" and rows["hangs"]["flags"] == "time-limit"
    assert "longer than the batch's limit" in json.loads((out / "hangs" / "results.json").read_text())["output"]
    # not "up to date": the next run grades it again
    assert batch.up_to_date(out, "hangs", room / "hangs", patient) is None
    assert batch.up_to_date(out, "flipped_kernel", room / "flipped_kernel", patient) is not None


# -- the grader's reply reader enforces its own limits (a worker the student edited cannot raise them) ------------

def test_the_reply_reader_refuses_oversized_announcements_before_buffering():
    import numpy as np
    from autograder.sandbox.protocol import MessageReader, ProtocolError, encode_message
    reader = MessageReader()
    reader.feed(encode_message({"ok": True}, [np.arange(6.0).reshape(2, 3)]))
    header, arrays = reader.take()
    assert header["ok"] and arrays[0].shape == (2, 3)
    for header, frame_length, limits, refusal in (
            ({"arrays": 10_000}, None, {}, "arrays must be 0 to 64"),
            ({"arrays": 1}, 200 * 1024 * 1024, {}, "an array frame of 209715200 bytes"),
            ({"arrays": 2}, 5000, dict(max_message_bytes=4096), "a message of more than 4096 bytes")):
        reader = MessageReader(**limits)
        data = json.dumps(header).encode()
        reader.feed(len(data).to_bytes(8, "big") + data)
        if frame_length:
            reader.feed(frame_length.to_bytes(8, "big") + b"\x93NUMPY")    # announced, 6 bytes sent
        with pytest.raises(ProtocolError, match=refusal):
            reader.take()                                   # refused from the announcement, nothing waited for
    reader = MessageReader(max_header_bytes=100)
    reader.feed((10_000).to_bytes(8, "big"))
    with pytest.raises(ProtocolError, match="header"):
        reader.take()


# -- extension points: one file each (README, "For developers") ---------------------------------------------------

def test_a_new_output_format_is_one_entry_in_report(tmp_path, monkeypatch):
    """An output of the class is a renderer in autograder/report.py's CLASS_FILES: grading and merge write it."""
    from autograder import report
    from autograder.results import SubmissionResult, TestResult
    monkeypatch.setitem(report.CLASS_FILES, "totals.txt",
                        lambda results: "".join(f"{r.name} {r.score:g}\n" for r in results))
    graded = SubmissionResult(name="ann", tests=[TestResult(name="part", number="1.1", score=7, max_score=10)])
    report.write_submission(graded, tmp_path / "shard" / "ann")
    from autograder.__main__ import main
    assert main(["merge", str(tmp_path / "shard"), "--out", str(tmp_path / "merged")]) == 0
    assert (tmp_path / "merged" / "totals.txt").read_text() == "ann 7\n"
    assert {"grades.csv", "summary.md"} <= {p.name for p in (tmp_path / "merged").iterdir()}


def test_a_new_submission_format_is_one_entry_in_intake(tmp_path, monkeypatch):
    """A submission format is an entry of autograder/intake.py's FORMATS: discovery and staging both follow it."""
    from autograder import intake
    plain_text = intake.Format(".txt", to_module=lambda path, data: (data.decode(), []))
    monkeypatch.setattr(intake, "FORMATS", intake.FORMATS + (plain_text,))
    room = tmp_path / "class"
    room.mkdir()
    shutil.copyfile(EXAMPLES / "flipped_kernel" / "convolution.py", room / "typed.txt")
    (room / "folder").mkdir()
    shutil.copyfile(EXAMPLES / "flipped_kernel" / "convolution.py", room / "folder" / "convolution.txt")
    assert sorted(find_submissions([room])) == ["folder", "typed"]
    staged = intake.stage(room / "typed.txt", tmp_path / "staged")
    assert (staged.directory / "convolution.py").read_text() == (room / "typed.txt").read_text()
    staged = intake.stage(room / "folder", tmp_path / "staged-folder")
    assert staged.modules == ("convolution",)


def test_grade_with_a_config_file_uses_its_settings_and_regrades_when_they_change(tmp_path):
    room = tmp_path / "class"
    shutil.copytree(EXAMPLES / "flipped_kernel", room / "flipped_kernel")
    settings = tmp_path / "course.toml"
    settings.write_text("[points]\nconv2d_values = 30\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(room), "--out", str(out), "--config", str(settings)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    graded = json.loads((out / "flipped_kernel" / "grader.json").read_text())
    assert sum(test["max_score"] for test in graded["tests"]) == 105
    assert "+config." in graded["autograder_version"]
    default = grade_all([room], out, progress=False)          # other settings: graded again, with the defaults
    assert default[0].max_score == 100 and "+config." not in default[0].autograder_version
    settings.write_text("[points]\nconv2d_valuez = 30\n")
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "points.conv2d_valuez" in refused.stderr


def test_summary_counts_full_marks_by_status_so_a_failed_zero_point_rule_is_not_counted():
    """2.1 (the library rule) is worth 0 points: a submission that failed it has score 0 = max, yet no full marks."""
    from autograder.report import class_summary
    from autograder.results import SubmissionResult, TestResult

    def submission(name, rule_passed):
        return SubmissionResult(name=name, tests=[
            TestResult("conv2d rule: no library convolution", "2.1", 0.0, 0.0,
                       status="passed" if rule_passed else "failed"),
            TestResult("conv2d: output shapes (public cases)", "2.2", 10.0, 10.0, status="passed")])
    summary = class_summary([submission("a", True), submission("b", False), submission("c", False)])
    rule_row = next(line for line in summary.splitlines() if line.startswith("| 2.1 "))
    shapes_row = next(line for line in summary.splitlines() if line.startswith("| 2.2 "))
    assert rule_row.endswith("| 1 |") and shapes_row.endswith("| 3 |")


def test_a_batch_graded_without_a_sandbox_says_so_in_every_output(tmp_path):
    """--unsafe-no-sandbox (make grade UNSAFE=1) is for trusted code only: summary.md opens with the banner and every
    row of grades.csv says the code ran without one."""
    room = tmp_path / "class"
    room.mkdir()
    shutil.copy(ROOT / "solution" / "convolution.py", room / "alice.py")
    out = tmp_path / "out"
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", str(room), "--out", str(out),
                                "--unsafe-no-sandbox"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "UNSAFE: graded without a sandbox" in completed.stderr
    assert "UNSAFE: graded without a sandbox" in (out / "summary.md").read_text().splitlines()[2]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [row["sandbox"] for row in rows] == ["none (unsafe)"]


def test_every_entry_of_a_class_folder_is_graded_or_listed_with_its_reason(tmp_path):
    """Loose .py and .ipynb files side by side each grade alone (one notebook no longer swallows the folder); a
    download's copy name (`convolution (1).py`) is graded with a note; anything else is a `skipped` row saying why."""
    import nbformat
    room = tmp_path / "class"
    room.mkdir()
    shutil.copy(EXAMPLES / "flipped_kernel" / "convolution.py", room / "alice.py")
    shutil.copy(EXAMPLES / "ignores_stride" / "convolution.py", room / "bob.py")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        (EXAMPLES / "flipped_kernel" / "convolution.py").read_text())])
    nbformat.write(notebook, str(room / "carol.ipynb"))
    (room / "dave").mkdir()
    shutil.copy(EXAMPLES / "flipped_kernel" / "convolution.py", room / "dave" / "convolution (1).py")
    (room / "notes.pdf").write_bytes(b"%PDF")
    (room / "erin").mkdir()
    (room / "erin" / "readme.txt").write_text("I ran out of time")
    results = grade_all([room], tmp_path / "out", jobs=2, progress=False)
    statuses = {result.name: result.status for result in results}
    assert statuses == {"alice": "graded", "bob": "graded", "carol": "graded", "dave": "graded",
                        "erin": "skipped", "notes.pdf": "skipped"}
    dave = next(result for result in results if result.name == "dave")
    assert "`convolution (1).py` was graded as `convolution.py`" in dave.output and dave.score > 0
    rows = {row["submission"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert "readme.txt" in rows["erin"]["note"] and ".pdf file" in rows["notes.pdf"]["note"]
    assert "## Not graded" in (tmp_path / "out" / "summary.md").read_text()


def test_a_missing_path_or_a_folder_with_nothing_to_grade_is_a_one_line_error(tmp_path):
    def grade(path):
        return subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--out", str(tmp_path / "o")],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    missing = grade(tmp_path / "nowhere")
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: no such file or folder: {tmp_path / 'nowhere'}"
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "photo.jpg").write_bytes(b"\xff\xd8")
    nothing = grade(tmp_path / "junk")
    assert nothing.returncode == 1 and "no submission found" in nothing.stderr and "photo.jpg: a .jpg file" in nothing.stderr
    assert "Traceback" not in missing.stderr + nothing.stderr
