"""Command line: `python -m autograder VERB [ARGS]`. Each verb is the `main(argv)` of one module, so the command
line and the Python API are the same thing; `python -m autograder VERB --help` shows a verb's options."""
import importlib
import os
import sys

VERBS = {  # verb: (module, function taking argv, what it does)
    "grade": ("autograder.batch", "main", "grade submissions: folders, .zip, .py, .ipynb, or folders of them"),
    "merge": ("autograder.batch", "merge_main", "merge the output folders of sharded grading runs"),
    "stencil": ("autograder.stencil", "main", "regenerate stencil/ from solution/ (--check: only report drift)"),
    "fixtures": ("autograder.build_fixtures", "main", "rebuild the grading fixtures with TensorFlow"),
    "selfcheck": ("autograder.selfcheck", "main", "data of the students' check.py (--check: only report)"),
    "verdicts": ("autograder.verdicts", "main", "grade the catalogue of correct, mistaken and attacking entries"),
    "similarity": ("autograder.similarity", "main", "similarity report of a class's code (pairs, pages, summary)"),
    "diff": ("autograder.regrade_diff", "main", "what changed between two gradings of a class (OLD_OUT NEW_OUT)"),
}


SANDBOXED_VERBS = ("grade", "verdicts")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in VERBS:
        print(__doc__ + "\n\nverbs:\n" + "\n".join(f"  {verb:<10} {text}" for verb, (*_, text) in VERBS.items()))
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    if argv[0] in SANDBOXED_VERBS and "--help" not in argv and "-h" not in argv:
        problem = check_sandbox(argv)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    module, function, _ = VERBS[argv[0]]
    return getattr(importlib.import_module(module), function)(argv[1:])


def check_sandbox(argv):
    """Fail closed before any submission is touched: the reason when no sandbox can be had here, else "".
    `--unsafe-no-sandbox` (removed from argv) grades without one, for a trusted single user, with a banner."""
    from autograder.config import CONFIG
    from autograder.sandbox import isolation
    if "--unsafe-no-sandbox" in argv:
        argv.remove("--unsafe-no-sandbox")
        os.environ[isolation.UNSAFE_VARIABLE] = "1"
        print(isolation.UNSAFE_BANNER, file=sys.stderr)
        return ""
    try:
        isolation.preflight(CONFIG.sandbox)
    except isolation.IsolationUnavailable as error:
        return f"Cannot grade: {error}"
    return ""


if __name__ == "__main__":
    sys.exit(main())
