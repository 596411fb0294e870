"""Gradescope: the autograder zip (`package.py`, `make autograder`) and what runs inside it.

    setup.sh        once per image build: pinned requirements into /opt/cnn-grader, the sandbox user
    run_autograder  once per submission: hide the source, run entry.py, always leave results/results.json
    entry.py        grade ROOT/submission with autograder.grade, apply the optional daily limit, write results.json
"""
