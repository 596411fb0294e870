"""Generates the student release `stencil/` from the instructor's `solution/`, so that the two never drift.

Every file of solution/ (except __pycache__, *.pyc and dot-files) is written to stencil/. Python files lose their
answers; other files are copied as they are. In a .py file, a region

        # BEGIN SOLUTION: <one-line hint>
        ...answer...
        # END SOLUTION

inside a function becomes, at the same indentation, `# TODO: <hint>` and
`raise NotImplementedError("<function>: <hint>")`; a region at the top level (helpers the student writes
themselves) is deleted. A notebook (.ipynb) gets the same treatment cell by cell, and loses its outputs.
Output depends only on the input bytes, so a regenerated stencil is byte-identical.

    python -m autograder.stencil            # regenerate stencil/
    python -m autograder.stencil --check    # exit 1 and list the stale files if stencil/ is out of date
"""
import argparse
import ast
import io
import re
import sys
import tokenize
from pathlib import Path

from autograder.paths import ROOT, SOLUTION

DEFAULT_SOLUTION_DIR = SOLUTION
DEFAULT_STENCIL_DIR = ROOT / "stencil"
DEFAULT_HINT = "write your code here"
BEGIN_MARKER = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::(?P<hint>.*))?$")
END_MARKER = re.compile(r"^(?P<indent>[ \t]*)# END SOLUTION$")


class StencilError(ValueError):
    """A solution file whose markers cannot be turned into a stencil; the message names the file and line."""


def transform_python(source, filename):
    """The student's version of one Python source: solution regions replaced by TODOs or deleted."""
    try:
        tree = ast.parse(source, filename)
        # Markers count only as real comments, not as text inside a string that happens to look like one.
        comment_lines = {token.start[0] for token in tokenize.generate_tokens(io.StringIO(source).readline)
                         if token.type == tokenize.COMMENT}
    except (SyntaxError, tokenize.TokenError) as error:
        raise StencilError(f"{filename}: not valid Python: {error}") from error
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]

    out, region = [], None  # region: (line number, indentation, hint) of the open BEGIN marker
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.rstrip()
        begin = BEGIN_MARKER.match(text) if number in comment_lines else None
        end = END_MARKER.match(text) if number in comment_lines else None
        if begin:
            if region:
                raise StencilError(f"{filename}:{number}: BEGIN SOLUTION inside the region opened at line {region[0]}")
            region = (number, begin["indent"], (begin["hint"] or "").strip() or DEFAULT_HINT)
        elif end:
            if not region:
                raise StencilError(f"{filename}:{number}: END SOLUTION without a BEGIN SOLUTION before it")
            start, indent, hint = region
            if end["indent"] != indent:
                raise StencilError(f"{filename}:{number}: END SOLUTION is indented differently from the "
                                   f"BEGIN SOLUTION at line {start}")
            if indent:
                enclosing = [f for f in functions if f.lineno <= start <= f.end_lineno]
                if not enclosing:
                    raise StencilError(f"{filename}:{start}: an indented solution region must be inside a function")
                name = max(enclosing, key=lambda f: f.lineno).name  # the innermost def around the region
                message = f"{name}: {hint}".replace("\\", "\\\\").replace('"', '\\"')
                out += [f"{indent}# TODO: {hint}", f'{indent}raise NotImplementedError("{message}")']
            else:
                while out and not out[-1].strip():  # a deleted top-level block takes its leading blank lines
                    out.pop()
            region = None
        elif not region:
            out.append(line)
    if region:
        raise StencilError(f"{filename}:{region[0]}: BEGIN SOLUTION is never closed by an END SOLUTION")

    while out and not out[-1].strip():
        out.pop()
    result = "\n".join(out) + "\n"
    try:
        ast.parse(result, filename)
    except SyntaxError as error:
        raise StencilError(f"{filename}: the stencil does not parse ({error}); check the markers") from error
    return result


def transform_notebook(text, filename):
    """The student's version of a Jupyter notebook: in each code cell, solution regions replaced as in a .py file
    (`transform_python`); every output and execution count cleared. The result is a valid v4 notebook whose bytes
    depend only on the input (nbformat writes sorted keys; cell ids are kept)."""
    import nbformat  # here, so that generating .py stencils never needs it

    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:
        raise StencilError(f"{filename}: not a valid v4 notebook: {error}") from error
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)     # run timestamps would make the bytes differ between runs
        if "BEGIN SOLUTION" in cell.source:
            cell.source = transform_python(cell.source, f"{filename} (cell {number})").rstrip("\n")
    return nbformat.writes(notebook) + "\n"


# How each kind of file becomes its stencil version (source text, file name) -> text; others are copied verbatim.
TRANSFORMS = {".py": transform_python, ".ipynb": transform_notebook}


def _release_files(folder):
    """Relative paths (sorted) of the files under folder that belong to a release."""
    files = []
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and path.suffix != ".pyc" and not any(
                part == "__pycache__" or part.startswith(".") for part in relative.parts):
            files.append(relative)
    return files


def _planned_stencil(solution_dir):
    """{relative path: bytes} of the stencil that solution_dir produces."""
    planned = {}
    for relative in _release_files(solution_dir):
        path = Path(solution_dir) / relative
        transform = TRANSFORMS.get(path.suffix)
        if transform:
            text = transform(path.read_text(encoding="utf-8"), str(path))
            planned[relative] = text.encode("utf-8")
        else:
            planned[relative] = path.read_bytes()
    return planned


def stale_files(solution_dir=DEFAULT_SOLUTION_DIR, stencil_dir=DEFAULT_STENCIL_DIR):
    """Relative paths (posix) that `generate` would write or delete; empty when stencil_dir is in sync."""
    planned = _planned_stencil(solution_dir)
    stale = [relative for relative, content in planned.items()
             if not (Path(stencil_dir) / relative).is_file() or (Path(stencil_dir) / relative).read_bytes() != content]
    if Path(stencil_dir).is_dir():
        stale += [relative for relative in _release_files(stencil_dir) if relative not in planned]
    return sorted(relative.as_posix() for relative in stale)


def generate(solution_dir=DEFAULT_SOLUTION_DIR, stencil_dir=DEFAULT_STENCIL_DIR):
    """Writes solution_dir's stencil into stencil_dir (only the files whose bytes change), deletes files it no longer
    makes; returns the paths written."""
    planned = _planned_stencil(solution_dir)  # all transforms first: a marker error leaves stencil_dir untouched
    stencil_dir = Path(stencil_dir)
    if stencil_dir.is_dir():
        for relative in _release_files(stencil_dir):
            if relative not in planned:
                (stencil_dir / relative).unlink()
    written = []
    for relative, content in planned.items():
        target = stencil_dir / relative
        if target.is_file() and target.read_bytes() == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written.append(target)
    return written


def add_arguments(parser):
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 listing stale files")
    parser.add_argument("--solution", type=Path, default=DEFAULT_SOLUTION_DIR, help="default: %(default)s")
    parser.add_argument("--stencil", type=Path, default=DEFAULT_STENCIL_DIR, help="default: %(default)s")


def main(argv=None):
    """Command line: regenerate the stencil, or with --check only report whether it is stale (exit 1 if so)."""
    parser = argparse.ArgumentParser(prog="python -m autograder.stencil", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args):
    """`python -m autograder stencil`, from its parsed arguments."""
    try:
        if args.check:
            stale = stale_files(args.solution, args.stencil)
            for relative in stale:
                print(f"stale: {relative}")
            if stale:
                print(f"{args.stencil} is out of date with {args.solution}; run `make stencil`.")
            return 1 if stale else 0
        written = generate(args.solution, args.stencil)
        for path in written:
            print(f"wrote {path}")
        if not written:
            print(f"{args.stencil} is up to date with {args.solution}")
    except StencilError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
