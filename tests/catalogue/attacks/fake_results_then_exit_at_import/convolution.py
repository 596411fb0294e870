"""Attack: At import, writes a 100/100 results.json wherever it can (working folder and parents, /autograder/results, results folders under /tmp) and leaves with os._exit(0)."""
import glob
import json
import os

FAKE = {"score": 100, "tests": [], "output": "all tests passed"}
targets = ["results.json", "../results.json", "../../results.json", "/autograder/results/results.json"]
targets += glob.glob("/tmp/*/results/results.json") + glob.glob("/tmp/*/*/results.json")
for target in targets:
    try:
        with open(target, "w") as file:
            json.dump(FAKE, file)
    except OSError:
        pass
os._exit(0)
