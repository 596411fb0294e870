"""Command line: `python -m autograder grade|stencil|fixtures ...` — one plain function per verb."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    grade = verbs.add_parser("grade", help="grade submissions (folders, .zip, .py, .ipynb, or folders of them)")
    grade.add_argument("paths", nargs="+")
    grade.add_argument("--out", default="build/grades", help="where results go (default: build/grades)")
    verbs.add_parser("stencil", help="regenerate stencil/ from solution/ (--check: only report drift)")
    verbs.add_parser("fixtures", help="rebuild the grading fixtures with TensorFlow")
    args, rest = parser.parse_known_args(argv)

    if args.verb == "grade":
        from autograder.batch import grade_all
        results = grade_all(args.paths, args.out)
        print(f"{len(results)} graded; results in {args.out}/, table in {args.out}/grades.csv")
        return 0
    if args.verb == "stencil":
        from autograder import stencil
        return stencil.main(rest)
    if args.verb == "fixtures":
        from autograder import fixtures
        return fixtures.main(rest)
    return 2


if __name__ == "__main__":
    sys.exit(main())
