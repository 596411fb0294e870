"""Command line: `python -m autograder COMMAND [ARGS]`, one argparse subcommand per command.

A command is a module's pair of functions: `add_arguments(parser)` declares its options and `run(args)` does the
work from the parsed arguments, so the command line and the Python API are the same thing. (A module not converted
yet gets its words through to its own `main(argv)`.) `python -m autograder COMMAND --help` shows a command's options.
"""
import argparse
import importlib
import os
import sys

# command: (module, its add_arguments, its run -- or None, None for a module's own main(argv) --, what it does)
COMMANDS = {
    "grade": ("autograder.batch", "add_grade_arguments", "grade_command",
              "grade submissions: folders, .zip, .py, .ipynb, or folders of them"),
    "merge": ("autograder.batch", "add_merge_arguments", "merge_command",
              "merge the output folders of sharded grading runs"),
    "stencil": ("autograder.stencil", "add_arguments", "run",
                "regenerate stencil/ from solution/ (--check: only report drift)"),
    "fixtures": ("autograder.build_fixtures", "add_arguments", "run",
                 "rebuild the grading fixtures with TensorFlow"),
    "selfcheck": ("autograder.selfcheck", "add_arguments", "run",
                  "data of the students' check.py (--check: only report)"),
    "verdicts": ("autograder.verdicts", None, None,
                 "grade the catalogue of correct, mistaken and attacking entries"),
    "similarity": ("autograder.similarity", "add_arguments", "run",
                   "similarity report of a class's code (pairs, pages, summary)"),
    "diff": ("autograder.regrade_diff", "add_arguments", "run",
             "what changed between two gradings of a class (OLD_OUT NEW_OUT)"),
    "package": ("autograder.gradescope.package", "add_arguments", "run",
                "build the Gradescope autograder zip (--config FILE: the course's settings travel in it)"),
}
SANDBOXED = ("grade", "verdicts")     # commands that run student code: the sandbox is checked first (fail closed)
UNSAFE = "--unsafe-no-sandbox"


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, add_arguments, run, text) in COMMANDS.items():
        if add_arguments is None:        # the module parses its own words
            sub = commands.add_parser(name, help=text, description=text, add_help=False, prefix_chars="\0")
            sub.add_argument("words", nargs=argparse.REMAINDER)
        else:
            try:
                loaded = importlib.import_module(module)
            except ModuleNotFoundError as error:     # a development tool the Gradescope zip leaves out
                if error.name != module:
                    raise
                continue
            sub = commands.add_parser(name, help=text, description=loaded.__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
            getattr(loaded, add_arguments)(sub)
        if name in SANDBOXED and add_arguments is not None:
            sub.add_argument(UNSAFE, action="store_true",
                             help="grade without a sandbox: for a trusted single user only (a banner says so)")
    return top


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    module, add_arguments, run, _ = COMMANDS[args.command]
    if args.command in SANDBOXED:
        # SIGTERM (kill, Slurm, Kubernetes) and SIGHUP stop the grading as Ctrl-C does: sandboxes killed, the
        # finished results and grades.csv kept, the rest pending
        from autograder.batch.pool import stop_on_signals
        stop_on_signals()
    if add_arguments is None:
        words = list(args.words)
        unsafe = UNSAFE in words
        words = [word for word in words if word != UNSAFE]
        if args.command in SANDBOXED and "--help" not in words and "-h" not in words:
            problem = check_sandbox(unsafe)
            if problem:
                print(problem, file=sys.stderr)
                return 2
        return importlib.import_module(module).main(words)
    if args.command in SANDBOXED:
        problem = check_sandbox(args.unsafe_no_sandbox)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    return getattr(importlib.import_module(module), run)(args)


def check_sandbox(unsafe=False):
    """Fail closed before any submission is touched: the reason when no sandbox can be had here, else "".
    `--unsafe-no-sandbox` grades without one, for a trusted single user, with a banner."""
    from autograder.config import CONFIG
    from autograder.sandbox import isolation
    if unsafe:
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
