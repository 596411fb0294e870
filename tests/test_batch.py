"""Batch grading: every submission present, resumable, interruptible, shardable, Gradescope exports understood."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from autograder.batch import find_submissions, grade_all, shard_of
from conftest import ROOT

EXAMPLES = ROOT / "examples" / "submissions"
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
    names = {r.name for r in results}
    assert names == set(FAST) | {"zipped", "single"}
    rows = csv_rows(out)
    assert set(rows) == names
    assert rows["zipped"]["diagnosis"] == "flipped_kernel" and rows["single"]["diagnosis"] == "stride_ignored"
    assert rows["crashes_on_import"]["flags"] == "import-error"
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
        "  - :name: Grace Hopper\n    :email: grace@example.edu\n")
    grade_all([export], tmp_path / "out", progress=False)
    rows = csv_rows(tmp_path / "out")
    assert rows["submission_1001"]["student"] == "Ada Lovelace <ada@example.edu>"
    assert rows["submission_1002"]["student"] == "Alan Turing <alan@example.edu>, Grace Hopper <grace@example.edu>"


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
