"""Shared set-up of the harness's own tests."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"
STENCIL = ROOT / "stencil"

# TensorFlow's reference kernels: with oneDNN on, tf.nn.conv2d returns a wrong shape when a VALID kernel is one
# pixel larger than the input. Quiet logs too. Both must be set before TensorFlow is imported.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SOLUTION))


# The suite leaves the checkout as it found it: no fixture, stencil or grading run may rewrite a tracked file (a fresh
# clone on another CPU once came out of `make test` with two .npz files modified). `git status` before and after.
_CHECKOUT_BEFORE = pytest.StashKey()


def _checkout_status():
    try:
        done = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def pytest_sessionstart(session):
    session.config.stash[_CHECKOUT_BEFORE] = _checkout_status()


def pytest_sessionfinish(session, exitstatus):
    before, after = session.config.stash.get(_CHECKOUT_BEFORE, None), _checkout_status()
    if before is not None and after is not None and before != after:
        sys.stderr.write("\nThe tests changed the checkout (git status --porcelain before and after):\n"
                         f"before:\n{before or '(clean)'}\nafter:\n{after}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# -- processes: what a stopped grading must not leave behind -----------------------------------------------------

def process_tree(root):
    """{pid: start time} of `root` and every process below it (sandboxes included: they are children of the pool
    processes, whatever their session, uid or PID namespace), from /proc."""
    parents, starts = {}, {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stream:
                    fields = stream.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(name)], starts[int(name)] = int(fields[1]), fields[19]
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return {pid: starts[pid] for pid in tree if pid in starts}


def still_running(processes):
    """Those of `processes` ({pid: start time}) that still run (not zombies; a reused pid does not count)."""
    alive = []
    for pid, start in processes.items():
        try:
            with open(f"/proc/{pid}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            alive.append(pid)
    return alive
