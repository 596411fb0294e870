"""The data behind the students' self-check (`python check.py` in stencil/), made from the grader's own sources.

The self-check must run where students are: without this package, the hidden fixtures or the reference conv2d. So
what it needs is written, ahead of time, into `solution/check_cases.npz` (and copied into stencil/ like every other
file of solution/):

- the public conv2d cases exactly as graded: in the grader's canonical form (autograder/forms.py; strides
  [1, s_h, s_w, 1], padding SAME/VALID, float32), with the strides pair, and the public conv_output_size cases;
- for every case, the output of each known mistake of `autograder.mistakes` that differs from the right answer, in
  the order `mistakes.diagnose` tries them, and each mistake's explanation;
- the grading tolerance.

So the mistakes and their explanations have one source (mistakes.py); check.py only compares arrays, the way
`mistakes.diagnose` does, and a test proves both name the same mistake on every public case.

    python -m autograder selfcheck            # rewrite solution/check_cases.npz if its data changed (then
                                              # `make stencil`)
    python -m autograder selfcheck --check    # exit 1 when it is out of date
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from autograder import fixture_files, forms, mistakes
from autograder.cases.conv2d import HEADLINE_MIN_CASES, HEADLINE_MIN_SHARE
from autograder.config import CONFIG
from autograder.tolerance import conv_magnitude, same_rebuild

DATA_PATH = Path(__file__).resolve().parent.parent / "solution" / "check_cases.npz"


def _canonical_public_cases():
    return [forms.canonical_case(case, CONFIG.canonical_strides) for case in fixture_files.load_conv_cases("public")]


def build_data():
    """{array name: array} of check_cases.npz; "meta" is a JSON string (cases, explanations, tolerance, sizes)."""
    arrays, cases = {}, []
    for case in _canonical_public_cases():
        arrays.update({f"{case.id}/inputs": case.inputs, f"{case.id}/filters": case.filters,
                       f"{case.id}/expected": case.expected})
        variants = []
        for mistake, mistaken in mistakes.exposed(case, CONFIG.tolerance):
            arrays[f"{case.id}/mistake/{mistake.name}"] = mistaken
            variants.append(mistake.name)
        cases.append({"id": case.id, "strides": case.strides, "padding": case.padding, "mistakes": variants,
                      "pair": list(forms.stride_pair(case.strides))})
    meta = {"tolerance": {"rtol": CONFIG.tolerance.rtol, "atol": CONFIG.tolerance.atol},
            "headline": {"min_cases": HEADLINE_MIN_CASES, "min_share": HEADLINE_MIN_SHARE},
            "conv2d_cases": cases,
            "explanations": {mistake.name: mistake.explanation for mistake in mistakes.MISTAKES},
            "output_size_cases": fixture_files.load_output_size_cases()}
    return {"meta": np.array(json.dumps(meta, sort_keys=True)), **arrays}


def is_current(path=DATA_PATH):
    """Does the file at `path` hold what build_data() makes now? The same names, dtypes and metadata exactly; the
    outputs up to the float rounding of their sums on this CPU (tolerance.same_rebuild), so that a machine whose
    sums round otherwise does not call the committed file stale."""
    if not Path(path).is_file():
        return False
    wanted = build_data()
    with np.load(path, allow_pickle=False) as stored:
        if sorted(stored.files) != sorted(wanted):
            return False
        # per case, once: the largest sum of |terms| and the precision the sums were made in (stored as float64)
        rounding = {case.id: (conv_magnitude(case.inputs, case.filters, case.strides, case.padding).max(initial=0.0),
                              np.result_type(case.inputs, case.filters, np.float32))
                    for case in _canonical_public_cases()}
        for key, array in wanted.items():
            case_id, _, part = key.partition("/")
            is_sum = part == "expected" or part.startswith("mistake/")
            magnitude, summed_in = rounding[case_id] if is_sum else (0, None)
            if not same_rebuild(stored[key], array, magnitude, summed_in):
                return False
    return True


def add_arguments(parser):
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is out of date")


def run(args):
    """`python -m autograder selfcheck`, from its parsed arguments."""
    if args.check:
        current = is_current(DATA_PATH)
        print(f"{DATA_PATH} is {'up to date' if current else 'out of date: run python -m autograder selfcheck'}")
        return 0 if current else 1
    if is_current(DATA_PATH):   # written only when the data changed: a fresh clone's tree stays clean on any CPU
        print(f"{DATA_PATH} is up to date")
        return 0
    fixture_files.write_npz(DATA_PATH, build_data())   # fixed zip timestamps: the same data gives the same bytes
    print(f"wrote {DATA_PATH}; now run `make stencil`")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder selfcheck", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
