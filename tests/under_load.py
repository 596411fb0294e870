"""The test suite with the machine loaded as a shared CI machine may be: two CPU-bound processes per core beside it.

    python tests/under_load.py [pytest arguments]        (make test-loaded)

No test may depend on a quiet machine: wall-clock bounds carry real margins, speed ratios are measured in
`make bench`. This is how that is checked.
"""
import multiprocessing
import os
import subprocess
import sys

PER_CORE = 2


def _spin():
    while True:
        pass


def main(argv):
    cores = len(os.sched_getaffinity(0))
    burners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(PER_CORE * cores)]
    for burner in burners:
        burner.start()
    print(f"under load: {len(burners)} CPU-bound processes on {cores} cores", flush=True)
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *argv])
    finally:
        for burner in burners:
            burner.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
