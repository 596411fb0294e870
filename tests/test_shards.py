"""Grading beyond one machine: `--shard auto` from a Slurm job array or a Kubernetes Indexed Job, and `merge`.

The end-to-end test runs a 4-task array locally through examples/cluster/'s Slurm script and Indexed Job commands,
with the variables each scheduler would set, merges the shard folders as they do, and compares the merged grades.csv
with one run over the whole class.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.batch import SHARDS_ENV, ShardError, check_shards, parse_shard, shard_from_environment, shard_of
from conftest import ROOT

CATALOGUE = ROOT / "tests" / "catalogue"
# NumPy-only convolution.py files (no assignment.py): each grades in well under a second.
CLASS = ("correct/im2col_one_matmul", "correct/offsets_matmul", "correct/window_einsum", "mistakes/flipped_kernel",
         "mistakes/stride_ignored", "mistakes/padding_ignored", "mistakes/no_channel_sum",
         "mistakes/output_height_width_swapped", "mistakes/floor_output_size")
TIMING_COLUMNS = {"execution_time", "seconds", "time"}      # none today; ignored should one appear
SCHEDULER_VARIABLES = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                       "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP", "JOB_COMPLETION_INDEX", SHARDS_ENV)


def slurm(task, first=None, last=None, count=None, step=None):
    values = {"SLURM_ARRAY_TASK_ID": task, "SLURM_ARRAY_TASK_MIN": first, "SLURM_ARRAY_TASK_MAX": last,
              "SLURM_ARRAY_TASK_COUNT": count, "SLURM_ARRAY_TASK_STEP": step}
    return {key: str(value) for key, value in values.items() if value is not None}


@pytest.mark.parametrize("environ, expected", [
    (slurm(0, 0, 3, 4, 1), (1, 4)),                 # sbatch --array=0-3
    (slurm(3, 0, 3, 4, 1), (4, 4)),
    (slurm(1, 1, 4, 4, 1), (1, 4)),                 # --array=1-4: 1-based
    (slurm(4, 1, 4, 4, 1), (4, 4)),
    (slurm(20, 0, 30, 4, 10), (3, 4)),              # --array=0-30:10
    (slurm(2, 1, 4), (2, 4)),                       # MIN/MAX only: the count derived
    (slurm(2, count=4), (3, 4)),                    # ID and COUNT only: 0-based
    ({"JOB_COMPLETION_INDEX": "0", SHARDS_ENV: "4"}, (1, 4)),
    ({"JOB_COMPLETION_INDEX": "3", SHARDS_ENV: "4"}, (4, 4)),
])
def test_auto_reads_slurm_arrays_and_indexed_jobs(environ, expected):
    assert shard_from_environment(environ)[:2] == expected
    assert parse_shard("auto", environ=environ)[:2] == expected


def test_the_count_can_be_passed_in_and_must_agree():
    assert shard_from_environment({"JOB_COMPLETION_INDEX": "2"}, shards=3) == (3, 3, "kubernetes")
    assert shard_from_environment(slurm(2), shards=3)[:2] == (3, 3)
    assert shard_from_environment(slurm(0, 0, 3, 4), shards=4)[:2] == (1, 4)
    for environ, shards in [({"JOB_COMPLETION_INDEX": "0", SHARDS_ENV: "4"}, 3), (slurm(0, 0, 3, 4), 2)]:
        with pytest.raises(ShardError, match="--shards"):
            shard_from_environment(environ, shards=shards)


@pytest.mark.parametrize("environ, words", [
    ({}, "neither is set"),
    ({"PATH": "/bin"}, "neither is set"),
    ({"JOB_COMPLETION_INDEX": "1"}, "number of shards"),
    ({"JOB_COMPLETION_INDEX": "4", SHARDS_ENV: "4"}, "out of range"),
    ({"JOB_COMPLETION_INDEX": "x", SHARDS_ENV: "4"}, "not a whole number"),
    ({"JOB_COMPLETION_INDEX": "0", SHARDS_ENV: "four"}, "not a whole number"),
    ({"JOB_COMPLETION_INDEX": "0", **slurm(0, 0, 3, 4)}, "both"),
    (slurm(3), "SLURM_ARRAY_TASK_COUNT"),
    (slurm(4, count=4), "1-based"),                # a 1-based array without MIN
    (slurm(5, 1, 7, 3), "irregular"),              # --array=1,5,7: MIN 1, MAX 7, three tasks
    (slurm(3, 0, 30, 4, 10), "multiple of STEP"),
    (slurm(0, 1, 4, 4), "not MIN"),
    (slurm(3, 3, 1), "below"),
    (slurm(1, last=3), "without SLURM_ARRAY_TASK_MIN"),
])
def test_auto_refuses_missing_or_inconsistent_variables(environ, words):
    with pytest.raises(ShardError, match=words):
        shard_from_environment(environ)


def test_manual_shards_still_work_and_are_checked():
    assert parse_shard("2/4") == (2, 4, "manual")
    assert shard_of(list("abcdefg"), "2/4") == ["b", "f"]
    for bad in ("0/4", "5/4", "2", "a/b", ""):
        with pytest.raises(ShardError):
            parse_shard(bad)
    with pytest.raises(ShardError, match="--shards goes with --shard auto"):
        parse_shard("1/4", shards=4)


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    room = tmp_path_factory.mktemp("class")
    for entry in CLASS:
        (room / entry.split("/")[1]).mkdir()
        shutil.copyfile(CATALOGUE / entry / "convolution.py", room / entry.split("/")[1] / "convolution.py")
    return room


def grade(args, environ=None):
    return run([sys.executable, "-m", "autograder", *args], environ or {})


def grades(out):
    with open(out / "grades.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return sorted(tuple(sorted((k, v) for k, v in row.items() if k not in TIMING_COLUMNS)) for row in rows)


@pytest.fixture(scope="module")
def single_machine(small_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    done = grade(["grade", str(small_class), "--out", str(out), "--jobs", "2"])
    assert done.returncode == 0, done.stderr
    return grades(out)


CLUSTER = ROOT / "examples" / "cluster"


def run_slurm_array(small_class, out, tmp_path):
    """examples/cluster/slurm.sbatch as Slurm would run it: submitted by hand (a stand-in sbatch records the two
    submissions), then each of the array's four tasks with the variables of --array=0-3, then the merge's --wrap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text('#!/bin/sh\nprintf "%s\\0" "$@" >> "$SBATCH_LOG"; printf "\\036" >> "$SBATCH_LOG"\n'
                                    'echo 4242\n')
    (bin_dir / "sbatch").chmod(0o755)
    log = tmp_path / "sbatch.log"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "SBATCH_LOG": str(log), "SHARDS": "4", "PY": sys.executable}
    script = ["bash", str(CLUSTER / "slurm.sbatch"), str(small_class), str(out)]
    done = run(script, env)
    assert done.returncode == 0 and "4 tasks" in done.stdout, done.stderr
    array, merge = [[arg for arg in call.split("\0") if arg] for call in log.read_text().split("\036") if call]
    assert "--array=0-3" in array and "--dependency=afterok:4242" in merge
    for task in range(4):
        done = run(script, {"PY": sys.executable, "SLURM_JOB_ID": str(4243 + task), "SLURM_SUBMIT_DIR": str(ROOT),
                            "SLURM_CPUS_PER_TASK": "2", **slurm(task, 0, 3, 4, 1)})
        assert done.returncode == 0, done.stderr
    return run(["sh", "-c", merge[merge.index("--wrap") + 1]], {})


def run_indexed_job(small_class, out, tmp_path):
    """The commands of examples/cluster/k8s-indexed-job.yaml, with its paths mapped onto this machine, as the four
    pods of its Indexed Job (JOB_COMPLETION_INDEX) and then the merge Job would run them."""
    import yaml
    documents = {d["metadata"]["name"]: d for d in yaml.safe_load_all((CLUSTER / "k8s-indexed-job.yaml").read_text())}
    job = documents["cnn-grade"]["spec"]
    assert job["completionMode"] == "Indexed"
    container = job["template"]["spec"]["containers"][0]
    assert {e["name"]: e["value"] for e in container["env"]}[SHARDS_ENV] == str(job["completions"])

    def local(command):
        return (command.replace(".venv/bin/python", sys.executable).replace("/data/class", str(small_class))
                .replace("/data/grades", str(out)))

    for index in range(4):
        done = run(["/bin/sh", "-c", local(container["args"][0])], {"JOB_COMPLETION_INDEX": str(index),
                                                                     SHARDS_ENV: "4"})
        assert done.returncode == 0, done.stderr
    merge = documents["cnn-merge"]["spec"]["template"]["spec"]
    done = run(["/bin/sh", "-c", local(merge["initContainers"][0]["args"][0])], {SHARDS_ENV: "4"})
    assert done.returncode == 0, done.stderr
    return run(["/bin/sh", "-c", local(merge["containers"][0]["args"][0])], {})


def run(command, environ):
    env = {key: value for key, value in os.environ.items() if key not in SCHEDULER_VARIABLES}
    env.update(environ)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("engine", [run_slurm_array, run_indexed_job], ids=["slurm", "kubernetes"])
def test_a_four_task_array_merges_into_the_single_machine_grades(engine, small_class, single_machine, tmp_path):
    out = tmp_path / "grades"
    done = engine(small_class, out, tmp_path)
    assert done.returncode == 0, done.stderr
    assert grades(out / "all") == single_machine
    folders = [out / f"shard-{task}" for task in range(4)]
    for task, folder in enumerate(folders):
        listing = json.loads((folder / "shard.json").read_text())
        assert (listing["index"], listing["count"]) == (task + 1, 4)
    shards = [set(json.loads((f / "shard.json").read_text())["submissions"]) for f in folders]
    assert sum(map(len, shards)) == len(CLASS) and set().union(*shards) == {e.split("/")[1] for e in CLASS}

    # A shard missing is refused (and listed as pending with --partial); the same shard twice too.
    done = grade(["merge", *map(str, folders[:3]), "--out", str(tmp_path / "partial")])
    assert done.returncode == 2 and "shards not given" in done.stderr
    done = grade(["merge", *map(str, folders[:3]), "--out", str(tmp_path / "partial"), "--partial"])
    assert done.returncode == 0, done.stderr
    rows = {dict(row)["submission"]: dict(row) for row in grades(tmp_path / "partial")}
    assert sorted(rows) == sorted(e.split("/")[1] for e in CLASS)
    assert {name for name, row in rows.items() if row["status"] == "pending"} == shards[3]
    shutil.copytree(folders[0], tmp_path / "copy")
    problems, _ = check_shards([*folders, tmp_path / "copy"])
    assert problems == [f"shard 1/4 is in more than one folder: {folders[0]}, {tmp_path / 'copy'}"]


def test_auto_without_a_scheduler_is_a_clear_usage_error(small_class, tmp_path):
    done = grade(["grade", str(small_class), "--shard", "auto", "--out", str(tmp_path / "out")])
    assert done.returncode == 2 and "neither is set" in done.stderr and "--shard I/N" in done.stderr
    assert not (tmp_path / "out").exists()


def test_merge_refuses_shards_of_different_splits(small_class, tmp_path):
    from autograder.batch import grade_all
    grade_all([small_class], tmp_path / "a", shard="1/2", progress=False, jobs=1)
    grade_all([small_class], tmp_path / "b", shard=(2, 3), progress=False, jobs=1)
    problems, _ = check_shards([tmp_path / "a", tmp_path / "b"])
    assert problems and "different splits" in problems[0]
