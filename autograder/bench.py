"""The benchmark (`make bench`): every figure printed here is measured in this one run, on this machine.

1. The reference conv2d against tf.nn.conv2d (TensorFlow's oneDNN kernels and its reference kernels), as ratios.
2. The reference CNN: training time per epoch, accuracy and peak memory, in a fresh process.
3. Grading the solution end to end: wall time, the time of each part, peak memory of grader + worker together.
4. The sandbox: round trip of a trivial call, and of a small conv2d call.
5. Batch grading of the bundled examples with --jobs 1 and --jobs 2: throughput and speed-up.
6. The performance part's verdict on the solution against itself (its ratio should be ~1): 10 gradings through the
   part's own timing code, alone, as two graders at once (what `--jobs 2` does on 2 cores), and at 0.5 CPU.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from autograder.gradescope.measure import run_measured

from autograder.paths import ROOT

PYTHON = sys.executable
MB = 1024 * 1024

CONV_SHAPES = [  # (inputs, filters, strides, padding, what it is)
    ((100, 32, 32, 3), (5, 5, 3, 16), 2, "SAME", "course's first layer"),
    ((64, 16, 16, 32), (3, 3, 32, 64), 1, "SAME", "a deeper 3x3 layer"),
    ((64, 32, 32, 16), (1, 1, 16, 32), 1, "VALID", "1x1 convolution"),
    ((32, 31, 31, 8), (4, 4, 8, 16), 3, "VALID", "VALID, stride 3"),
]


def median_ms(seconds):
    return 1e3 * float(np.median(seconds))


BLOCKS = 5


def timed(call, runs, warm_up=2):
    """Seconds of each of `runs` calls, after `warm_up` untimed ones."""
    for _ in range(warm_up):
        call()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def conv2d_timings(runs):
    """[(tf ms, ours ms)] per CONV_SHAPES row: medians on the same arrays, in alternating blocks. Imports TensorFlow,
    so it runs in a fresh process per TensorFlow configuration (oneDNN is chosen when TensorFlow is imported)."""
    import tensorflow as tf
    from autograder.reference import reference_conv2d

    rng = np.random.default_rng(0)
    timings = []
    for inputs_shape, filters_shape, strides, padding, _ in CONV_SHAPES:
        inputs = rng.standard_normal(inputs_shape).astype(np.float32)
        filters = rng.standard_normal(filters_shape).astype(np.float32)
        # Alternating blocks, not single calls: right after one library's call its idle threads still spin for a
        # while (TensorFlow's pool, OpenBLAS's), which would slow the other side's next call on 2 cores.
        ours, theirs = [], []
        for _ in range(BLOCKS):
            theirs += timed(lambda: tf.nn.conv2d(inputs, filters, strides, padding).numpy(), runs // BLOCKS)
            ours += timed(lambda: reference_conv2d(inputs, filters, strides, padding), runs // BLOCKS)
        timings.append((median_ms(theirs), median_ms(ours)))
    return timings


def bench_conv2d(runs):
    """The reference conv2d against tf.nn.conv2d with TensorFlow's default (oneDNN) kernels and its reference
    kernels (TF_ENABLE_ONEDNN_OPTS=0, the ones the grading fixtures come from)."""
    results = {}
    for onednn in ("1", "0"):
        environment = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, TF_CPP_MIN_LOG_LEVEL="2")
        completed = subprocess.run([PYTHON, "-m", "autograder.bench", "--conv2d-timings", str(runs)], cwd=ROOT,
                                   env=environment, capture_output=True, text=True, check=True)
        results[onednn] = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"\n1. conv2d: reference solution vs tf.nn.conv2d, median of {runs} runs each in {BLOCKS} alternating "
          "blocks;\n   TensorFlow's default oneDNN kernels, and its reference kernels (TF_ENABLE_ONEDNN_OPTS=0)")
    print(f"   {'inputs x filters, stride, padding':<50} {'ours ms':>7} {'oneDNN':>7} {'ratio':>6} "
          f"{'ref. TF':>7} {'ratio':>6}")
    worst = {"1": 0.0, "0": 0.0}
    for row, (inputs_shape, filters_shape, strides, padding, what) in enumerate(CONV_SHAPES):
        ours = float(np.median([results[c][row][1] for c in results]))
        cells = ""
        for onednn in ("1", "0"):
            theirs = results[onednn][row][0]
            worst[onednn] = max(worst[onednn], ours / theirs)
            cells += f" {theirs:7.2f} {ours / theirs:6.2f}"
        label = f"{inputs_shape} x {filters_shape}, {strides}, {padding}"
        print(f"   {label:<50} {ours:7.2f}{cells}   {what}")
    print(f"   worst ratio: {worst['1']:.2f} against oneDNN, {worst['0']:.2f} against the reference kernels "
          "(goal <= 1.5)")


MODEL_SCRIPT = textwrap.dedent("""
    import json, os, resource, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, sys.argv[1])
    started = time.perf_counter()
    import tensorflow as tf
    import assignment
    from preprocess import get_data
    imported = time.perf_counter()
    epochs = int(sys.argv[2])
    train_x, train_y, test_x, test_y = get_data()
    tf.keras.utils.set_random_seed(0)
    model = assignment.CNN(10)
    epoch_seconds = []
    for _ in range(epochs):
        t = time.perf_counter()
        assignment.train(model, train_x, train_y)
        epoch_seconds.append(time.perf_counter() - t)
    print(json.dumps({"import_s": imported - started, "epoch_s": epoch_seconds,
                      "accuracy": assignment.test(model, test_x, test_y),
                      "own_accuracy": float(assignment.test(model, test_x, test_y, is_testing=True)),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def bench_model(epochs):
    completed = subprocess.run([PYTHON, "-c", MODEL_SCRIPT, str(ROOT / "solution"), str(epochs)],
                               capture_output=True, text=True, check=True)
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"\n2. The reference CNN on the digits set (1,347 train / 450 test images), {epochs} epochs, fresh process")
    print(f"   import TensorFlow + assignment: {data['import_s']:.1f} s; per epoch: "
          + ", ".join(f"{s:.2f}" for s in data["epoch_s"]) + " s")
    print(f"   test accuracy {data['accuracy']:.3f} (is_testing=True: {data['own_accuracy']:.3f}); "
          f"peak resident memory {data['peak_mb']:.0f} MB")


def measured(command, env=None):
    """Run a command of ours; (seconds, peak MB resident, peak MB anonymous, CPU seconds) of its whole process
    tree, sampled from outside (measure.run_measured)."""
    seconds, peak, anonymous, cpu, output = run_measured(command, env=env, cwd=ROOT)
    if "Traceback" in output:
        raise RuntimeError(f"{command} failed:\n{output}")
    return seconds, peak / MB, anonymous / MB, cpu


def grading_floor_cpu_seconds(epochs):
    """What any grading of the model must cost, measured as a plain process in the model worker's environment: one
    TensorFlow import, the solution's CNN trained `epochs` epochs, and its two predictions (tf.nn.conv2d and
    is_testing=True)."""
    from autograder.reference import TIMING_ENVIRONMENT
    environment = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", **TIMING_ENVIRONMENT)
    return measured([PYTHON, "-c", MODEL_SCRIPT, str(ROOT / "solution"), str(epochs)], env=environment)[3]


GRADING_PAIRS = 3     # gradings and floors measured in turn: one pair alone varied 6-31% on this shared machine


def bench_grading(pairs=GRADING_PAIRS):
    from autograder.config import CONFIG
    gradings, floors = [], []
    for _ in range(pairs):      # in turn, so a slow minute of the machine slows both sides of one pair
        with tempfile.TemporaryDirectory() as out:
            seconds, peak, anonymous, grading_cpu = measured([PYTHON, "-m", "autograder", "grade",
                                                              str(ROOT / "solution"), "--out", out])
            result = json.loads((Path(out) / "solution" / "grader.json").read_text())
        gradings.append((grading_cpu, seconds, peak, anonymous))
        floors.append(grading_floor_cpu_seconds(CONFIG.model.epochs))
    overheads = sorted(100 * (grading[0] / floor - 1) for grading, floor in zip(gradings, floors))
    grading_cpu, seconds, peak, anonymous = sorted(gradings)[len(gradings) // 2]
    print(f"\n3. Grading the solution end to end (one process start included), {pairs} times: median "
          f"{seconds:.1f} s wall, peak memory of grader + worker {max(g[2] for g in gradings):.0f} MB, "
          f"{max(g[3] for g in gradings):.0f} MB of it anonymous (goals: <= 45 s, <= 768 MB anonymous); "
          f"score {sum(t['score'] for t in result['tests']):g}")
    print(f"   CPU: {', '.join(f'{g[0]:.1f}' for g in gradings)} s for the whole grading (every process), against "
          f"floors of {', '.join(f'{f:.1f}' for f in floors)} s measured in turn (one TensorFlow import, "
          f"{CONFIG.model.epochs} epochs of the solution's CNN and its two predictions, in a plain process): "
          f"overhead {', '.join(f'{o:.0f}' for o in overheads)}%, median {overheads[len(overheads) // 2]:.0f}% "
          "(goal <= 25%)")
    for test in result["tests"]:
        print(f"   {test['number']:<4} {test['name']:<58} {test['seconds']:6.2f} s wall "
              f"{test.get('cpu_seconds', 0):6.2f} s CPU")
    workers = result.get("cpu_seconds", {}).get("workers", {})
    print("   CPU by worker, from the grader's side: "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in workers.items())
          + f"; the grading's own total {result.get('cpu_seconds', {}).get('total', 0):.1f} s")


def sandbox_lifetime(folder, repeats):
    """Median seconds of one worker's whole life (sandbox, start, import, one call, kill, clean-up)."""
    from autograder.config import CONFIG
    from autograder.sandbox import Worker
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        with Worker(Path(folder), limits=CONFIG.sandbox, modules=("convolution",)) as worker:
            worker.call("convolution", "nothing")
        seconds.append(time.perf_counter() - started)
    return float(np.median(seconds)), worker.isolation


def bench_sandbox(calls):
    from autograder.config import CONFIG
    from autograder.sandbox import Worker, isolation

    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "convolution.py").write_text(
            "import numpy as np\n\ndef nothing():\n    return 0\n\n"
            "def conv2d(inputs, filters, strides, padding):\n    return inputs[:, :3, :3, :1] * 2\n")
        sandboxed, report = sandbox_lifetime(folder, repeats=7)
        os.environ[isolation.UNSAFE_VARIABLE] = "1"          # the same life without any isolation, to compare
        try:
            unsandboxed, _ = sandbox_lifetime(folder, repeats=7)
        finally:
            del os.environ[isolation.UNSAFE_VARIABLE]
        with Worker(Path(folder), limits=CONFIG.sandbox, modules=("convolution",)) as worker:
            worker.call("convolution", "nothing")
            trivial = [worker.call("convolution", "nothing").seconds for _ in range(calls)]
            x, k = np.ones((1, 5, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32)
            small = [worker.call("convolution", "conv2d", x, k, 1, "VALID").seconds for _ in range(calls)]
    print(f"\n4. Sandbox: a NumPy worker's whole life (identity, namespaces, cgroup, start, import, one call, "
          f"kill, clean-up) {sandboxed * 1e3:.0f} ms; without isolation {unsandboxed * 1e3:.0f} ms: overhead "
          f"{(sandboxed - unsandboxed) * 1e3:.0f} ms per worker (goal <= 500 ms). Round trip of a trivial call "
          f"{median_ms(trivial):.3f} ms, of a 5x5 conv2d call with arrays {median_ms(small):.3f} ms "
          f"(median of {calls}; goal <= 2 ms)")
    print(f"   isolation: mode {report.get('mode')}, namespaces {','.join(report.get('namespaces', [])) or '-'}, "
          f"cgroup {report.get('cgroup')}, network blocked: {report.get('network_blocked')}")


def bench_batch():
    examples = ROOT / "examples" / "submissions"
    print(f"\n5. Batch grading of the {sum(1 for p in examples.iterdir() if p.is_dir())} bundled examples")
    times = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            times[jobs], peak, _, _ = measured([PYTHON, "-m", "autograder", "grade", str(examples), "--out", out,
                                             "--jobs", str(jobs)])
        print(f"   --jobs {jobs}: {times[jobs]:.1f} s wall, peak memory {peak:.0f} MB")
    print(f"   speed-up with 2 jobs: {times[1] / times[2]:.2f}x (goal >= 1.7x on 2 cores)")


RATIO_GOAL = (0.75, 1.33)
CPU_CGROUP = Path("/sys/fs/cgroup/cpu")      # cgroup v1's cpu controller, where this machine has one


def solution_ratios(repeats, runs=None):
    """The performance part's ratio for the solution against the reference, `repeats` times, each through a fresh
    grading session and worker, with the part's own timing code (autograder.cases.performance.measure_speed)."""
    from autograder import intake
    from autograder.cases.performance import measure_speed, speed_ratio
    from autograder.config import CONFIG
    from autograder.grade import GradingSession
    from autograder.reference import TIMING_ENVIRONMENT

    for key, value in TIMING_ENVIRONMENT.items():   # for a worker that passes on the grader's (sets its own too)
        os.environ.setdefault(key, value)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnn-bench-") as scratch:
        staged = intake.stage(ROOT / "solution", Path(scratch) / "submission")
        for _ in range(repeats):
            session = GradingSession(staged)
            try:
                speed = measure_speed(session, replace(CONFIG.performance, runs=runs or CONFIG.performance.runs))
            finally:
                session.close()
            student, reference = np.median(speed.student_seconds), np.median(speed.reference_seconds)
            rows.append({"ratio": speed_ratio(speed), "student_ms": 1e3 * float(student),
                         "reference_ms": 1e3 * float(reference)})
    return rows


def enter_cpu_cgroup(folder):
    """preexec_fn: move the child into the cgroup `folder` before it runs anything."""
    def enter():
        (folder / "cgroup.procs").write_text(str(os.getpid()))
    return enter


def ratio_runs(repeats, processes=1, cpu_fraction=None, runs=None):
    """Run solution_ratios(repeats) in `processes` fresh processes at once (in a cgroup limited to `cpu_fraction` of
    one CPU when given); [rows of each process]. None when the cgroup cannot be made (not root, no cgroup v1)."""
    command = [PYTHON, "-m", "autograder.bench", "--solution-ratios", str(repeats)]
    if runs:
        command += ["--ratio-runs", str(runs)]
    cgroup = None
    if cpu_fraction is not None:
        cgroup = CPU_CGROUP / f"cnn-bench-{os.getpid()}"
        try:
            cgroup.mkdir()
            (cgroup / "cpu.cfs_period_us").write_text("100000")
            (cgroup / "cpu.cfs_quota_us").write_text(str(int(100000 * cpu_fraction)))
        except OSError:
            if cgroup.is_dir():
                cgroup.rmdir()
            return None
    try:
        children = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                     preexec_fn=enter_cpu_cgroup(cgroup) if cgroup else None)
                    for _ in range(processes)]
        outputs = [child.communicate()[0] for child in children]
        if any(child.returncode for child in children):
            raise RuntimeError(f"{' '.join(command)} failed")
        return [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    finally:
        if cgroup is not None:
            cgroup.rmdir()


def bench_ratio(repeats, runs=None):
    from autograder.config import CONFIG

    low, high = RATIO_GOAL
    print(f"\n6. The performance part (3.1) on the solution against the reference: its ratio, {repeats} gradings "
          f"(fresh worker each,\n   median of the part's per-run ratios over {runs or CONFIG.performance.runs} "
          f"runs, one BLAS thread each side); goal: all in [{low}, {high}]")
    settings = [("alone", 1, None), ("2 graders at once", 2, None), ("at 0.5 CPU", 1, 0.5)]
    for label, processes, cpu_fraction in settings:
        per_process = ratio_runs(repeats, processes, cpu_fraction, runs)
        if per_process is None:
            print(f"   {label}: not measured (needs root and cgroup v1's cpu controller at {CPU_CGROUP})")
            continue
        for number, rows in enumerate(per_process, 1):
            ratios = [row["ratio"] for row in rows]
            inside = all(low <= ratio <= high for ratio in ratios)
            name = label if processes == 1 else f"{label}, grader {number}"
            print(f"   {name}: " + " ".join(f"{ratio:.2f}" for ratio in ratios))
            print(f"      min {min(ratios):.2f}, max {max(ratios):.2f}, all in [{low}, {high}]: "
                  f"{'yes' if inside else 'NO'}; reference median "
                  f"{min(row['reference_ms'] for row in rows):.1f}-{max(row['reference_ms'] for row in rows):.1f} ms")


def bench_container(repeats):
    """Gradescope's default container, as near as this machine gets: the zip's run_autograder in an environment built
    from the grading lock alone, with Docker's default capabilities, in a 768 MB memory cgroup at 0.5 CPU, the cgroup
    filesystem read-only as Docker shows it, started cold (the grading's files evicted from the page cache)."""
    from autograder.gradescope import package
    from autograder.gradescope.measure import grading_environment, run_like_gradescope

    print(f"\n7. Gradescope's default container (768 MB, 0.5 CPU, Docker's capabilities, cgroup read-only, cold start, "
          f"grading-only environment), {repeats} runs each; goal: solution 100, memory_hog its 10 points with a "
          "memory message and >= 100 MB of headroom, grader never killed")
    python = grading_environment()
    with tempfile.TemporaryDirectory(prefix="cnn-bench-zip-") as folder:
        autograder_zip = Path(folder) / "autograder.zip"
        package.build(autograder_zip)
        for name, files in (("solution", [ROOT / "solution" / "convolution.py", ROOT / "solution" / "assignment.py"]),
                            ("memory_hog", [ROOT / "examples" / "submissions" / "memory_hog" / "convolution.py"])):
            for run in range(repeats):
                try:
                    results, _, stats = run_like_gradescope(autograder_zip, files, python, memory_mb=768,
                                                            cpu_fraction=0.5, cold=True)
                except OSError as error:
                    print(f"   not measured: no cgroup (v1 memory and cpu, or v2) to write here ({error})")
                    return
                extra = results.get("extra_data", {})
                memory_message = any("memory" in test.get("output", "") for test in results.get("tests", []))
                print(f"   {name} run {run + 1}: score {results['score']:g}, status {extra.get('status')}, "
                      f"{stats['seconds']:.1f} s, container peak {stats['peak_mb']:.0f} MB with page cache, "
                      f"{stats['peak_unreclaimable_mb']:.0f} MB without (headroom "
                      f"{768 - stats['peak_unreclaimable_mb']:.0f} MB), OOM kills in the container "
                      f"{stats['oom_kills']}, "
                      f"sandbox limit {extra.get('isolation', {}).get('memory_limit_mb')} MB"
                      + (", memory message" if memory_message else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per conv2d shape and side")
    parser.add_argument("--only", choices=["conv2d", "model", "grading", "sandbox", "batch", "ratio", "container"],
                        action="append")
    parser.add_argument("--ratio-repeats", type=int, default=10, help="gradings of the solution's speed per setting")
    parser.add_argument("--ratio-runs", type=int, help="timed runs per grading (default: performance.runs)")
    parser.add_argument("--conv2d-timings", type=int, metavar="RUNS", help=argparse.SUPPRESS)   # one TF config
    parser.add_argument("--solution-ratios", type=int, metavar="REPEATS", help=argparse.SUPPRESS)  # one process
    args = parser.parse_args(argv)
    if args.conv2d_timings:
        print(json.dumps(conv2d_timings(args.conv2d_timings)))
        return 0
    if args.solution_ratios:
        print(json.dumps(solution_ratios(args.solution_ratios, args.ratio_runs)))
        return 0
    parts = args.only or ["conv2d", "model", "grading", "sandbox", "batch", "ratio", "container"]
    print(f"Benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}, NumPy {np.__version__}")
    if "sandbox" in parts:
        bench_sandbox(calls=300)
    if "grading" in parts:
        bench_grading()
    if "model" in parts:
        from autograder.config import CONFIG
        bench_model(CONFIG.model.epochs)
    if "batch" in parts:
        bench_batch()
    if "conv2d" in parts:
        bench_conv2d(args.runs)
    if "container" in parts:
        bench_container(repeats=5)
    if "ratio" in parts:
        bench_ratio(args.ratio_repeats, args.ratio_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
