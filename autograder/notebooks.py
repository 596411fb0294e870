"""Notebook submissions: read a Jupyter notebook and turn its code cells into a module the grader can import.

The rule for what is kept (the student README's "Submitting a notebook" says the same):

1. IPython magics (`%matplotlib inline`, `%timeit ...`, a `%%...` cell) and shell lines (`!pip install ...`) are
   removed: they are never run.
2. A cell that is not valid Python is left out whole (the feedback names it and the error).
3. In every other cell, each top-level statement is kept when it only defines something: `import`s, `def`s,
   `class`es, `if __name__ == "__main__":` blocks (they never run on import) and assignments — except an assignment
   that calls one of your own functions or classes (defined in the notebook, or imported from convolution,
   assignment or preprocess), such as `model = CNN(10)`, `losses = train(...)` or `data = get_data()`, or that uses
   a name set by a statement that was left out. Every other top-level statement is left out: calls such as
   `print(...)`, `main()`, `train(model, ...)`, `plt.imshow(...)`, loops and `with` blocks.
4. Outputs stored in the notebook are ignored (they are dropped before the notebook is even validated).

Reading is bounded, since it happens in the grading process, outside any sandbox: at most MAX_NOTEBOOK_BYTES, a
JSON structure of at most MAX_JSON_ITEMS items nested at most MAX_JSON_DEPTH deep (both counted on the raw bytes
before anything is parsed), at most MAX_CELLS cells, MAX_CODE_CHARS characters of code and MAX_SECONDS of work.
Past any of them the notebook is refused with a NotebookError that says which limit and what to do.

`notebook_module(path)` returns the module's source and a `NotebookReport` whose `notes()` are the student-facing
lines that say which cells (or lines of cells) were left out. Only nbformat and the standard library are used.
"""
import ast
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path


from autograder.sandbox.protocol import json_shape_problem

ASSIGNMENT_MODULES = ("convolution", "assignment", "preprocess")
MAGIC_LINE = re.compile(r"^\s*([%!]|[\w.,\s()\[\]]+=\s*[%!])")   # `%magic`, `!cmd`, `x = %magic`, `x = !cmd`
SHOWN_CHARS = 60          # how much of a left-out line the feedback quotes
SHOWN_PER_CELL = 3        # how many left-out statements of one cell the feedback lists
# Limits of the work done on one notebook in the grading process (measured: a notebook at all the limits at once is
# read in well under a second and a few tens of MB; a course notebook is far below every one of them).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024   # stored outputs (images) make notebooks large; clearing them is one click
MAX_JSON_ITEMS = 100_000    # JSON values in lists and objects ("," "[" "{" outside strings); a course notebook: ~5,000
MAX_JSON_DEPTH = 64         # nesting of lists and objects; nbformat's own structure is ~6 deep
MAX_CELLS = 1_000           # reading costs ~0.2 ms per cell; a course notebook has tens to hundreds
MAX_CODE_CHARS = 64 * 1024  # code cells beyond this are not parsed at all (parsing costs ~600 bytes per byte)
MAX_SECONDS = 5.0           # a last bound on the whole conversion, checked between cells


class NotebookError(ValueError):
    """The file cannot be read as a v4 Jupyter notebook; the message is shown to the student."""


@dataclass
class CellReport:
    number: int                 # 1-based position among all cells (Markdown cells count), as the student sees it
    first_line: str             # the cell's first non-blank line, to find it
    magics: int = 0             # magic / shell lines removed
    left_out: list = field(default_factory=list)   # (line in cell, first line of the statement)
    error: str = ""             # why the whole cell was left out (not valid Python, cell magic)


@dataclass
class NotebookReport:
    name: str
    cells: list = field(default_factory=list)      # CellReport of every cell with something left out

    def notes(self):
        """Student-facing Markdown: one line per cell that lost something, or nothing when all was kept."""
        if not self.cells:
            return []
        lines = [f"Notebook `{self.name}`: only definitions are graded (imports, `def`, `class`, assignments); "
                 "magics, shell lines and top-level code that runs something are left out (see the README):"]
        for cell in self.cells:
            where = f"- cell {cell.number} (`{_shorten(cell.first_line)}`)"
            parts = []
            if cell.error:
                parts.append(f"left out whole: {cell.error}")
            if cell.magics:
                parts.append(f"{cell.magics} magic/shell line{'s' * (cell.magics > 1)} not run")
            if cell.left_out:
                shown = ", ".join(f"`{_shorten(text)}` (line {line})" for line, text in cell.left_out[:SHOWN_PER_CELL])
                more = len(cell.left_out) - SHOWN_PER_CELL
                parts.append(f"not run: {shown}" + (f" and {more} more" if more > 0 else ""))
            lines.append(f"{where}: {'; '.join(parts)}")
        return ["\n".join(lines)]


def _shorten(text):
    text = text.strip()
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


# ------------------------------------------------------------------------------------------------ reading

def read_notebook(path, data=None):
    """The notebook at `path` (its bytes `data` when given: the caller read them safely) as a v4 NotebookNode with
    every output removed. NotebookError when it is not one.

    Outputs are dropped before validation, so a notebook of 50 MB of images is as quick to read as an empty one,
    and a broken output cannot make a submission ungradable.
    """
    path = Path(path)
    if data is None:
        with open(path, "rb") as stream:
            data = stream.read(MAX_NOTEBOOK_BYTES + 1)
    _check_json_size(path.name, data)
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise NotebookError(f"`{path.name}` is not a readable Jupyter notebook: the file is not valid JSON "
                            f"({error}). Open it in Jupyter; if it opens, save it again and resubmit.") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise NotebookError(f"`{path.name}` is not a Jupyter notebook (no `nbformat` field).")
    if raw.get("nbformat") != 4:
        raise NotebookError(f"`{path.name}` is saved in notebook format v{raw.get('nbformat')}; the autograder "
                            "reads format v4 (any 4.x). Open it in a current Jupyter (or Colab), choose File > Save, "
                            "and resubmit.")
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"`{path.name}` has no list of cells; it is not a valid v4 notebook.")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"`{path.name}` has {len(cells):,} cells; the autograder reads notebooks of at most "
                            f"{MAX_CELLS:,} cells (a notebook for this assignment has a few dozen). Delete the empty "
                            "and unneeded cells, save, and resubmit.")
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    raw.setdefault("metadata", {})
    # imported here: nbformat (and the jsonschema it validates with) costs every grading ~0.2 s of CPU to import,
    # and only notebooks need it
    import nbformat
    from nbformat.v4.rwbase import rejoin_lines
    notebook = rejoin_lines(nbformat.from_dict(raw))   # sources stored as lists of lines become strings
    try:
        # Cell ids are required from 4.5 on but many tools omit them; adding them is what Jupyter does on save.
        _, notebook = nbformat.validator.normalize(notebook)
        notebook = nbformat.from_dict(notebook)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        raise NotebookError(f"`{path.name}` is not a valid v4.{raw.get('nbformat_minor', '?')} notebook "
                            f"(at {where}: {error.message}). Open it in Jupyter, save it again, and resubmit.") \
            from None
    return notebook


def _check_json_size(name, data):
    """NotebookError when the bytes are more than the grader reads: too many bytes, too many JSON values, or values
    nested too deeply. Counted on the bytes with every string literal blanked out, so nothing is built first."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"`{name}` is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB, the most the "
                            "autograder reads; stored outputs (images, long printouts) make notebooks large. In "
                            "Jupyter choose Edit > Clear All Outputs (Colab: Edit > Clear all outputs), save, and "
                            "resubmit.")
    if not isinstance(data, (bytes, bytearray)):
        data = data.encode("utf-8", errors="replace")
    problem = json_shape_problem(bytes(data), MAX_JSON_ITEMS, MAX_JSON_DEPTH)
    if problem == "items":
        raise NotebookError(f"`{name}` holds more than {MAX_JSON_ITEMS:,} cells, lines and other entries; the "
                            "autograder reads smaller notebooks (a notebook for this assignment holds a few "
                            "thousand). Delete empty and unneeded cells, clear all outputs, save, and resubmit.")
    if problem == "depth":
        raise NotebookError(f"`{name}` nests lists and objects more than {MAX_JSON_DEPTH} levels deep; a Jupyter "
                            "notebook nests a few. Open it in Jupyter, save it again, and resubmit.")


# --------------------------------------------------------------------------------------------- the module

def notebook_module(path, data=None):
    """(Python source of the module made from the notebook at `path`, NotebookReport). NotebookError if unreadable
    or when its code cells hold more than MAX_CODE_CHARS characters (checked before any cell is parsed)."""
    deadline = time.monotonic() + MAX_SECONDS
    name = Path(path).name
    try:
        return _module_of(read_notebook(path, data), name, deadline)
    except (RecursionError, MemoryError):
        # Python's parser refuses code nested deeper than it can hold (e.g. thousands of `not` or `+` in a row)
        raise NotebookError(f"`{name}` holds code nested too deeply for the autograder to read (an expression of "
                            "thousands of nested or chained parts); simplify it and resubmit.") from None


def _check_time(name, deadline):
    if time.monotonic() > deadline:
        raise NotebookError(f"`{name}` took longer than {MAX_SECONDS:g} s to read; the autograder reads simpler "
                            "notebooks. Delete unneeded cells, clear all outputs, save, and resubmit.")


def _module_of(notebook, name, deadline):
    """notebook_module's work on a notebook already read."""
    report = NotebookReport(name)
    code = sum(len(cell.source) for cell in notebook.cells if cell.cell_type == "code")
    if code > MAX_CODE_CHARS:
        raise NotebookError(f"`{name}` holds {code:,} characters of code; the autograder takes at most "
                            f"{MAX_CODE_CHARS:,} (a notebook for this assignment holds a few thousand).")
    parsed = []   # (CellReport, cell source without magics, ast.Module)
    for number, cell in enumerate(notebook.cells, start=1):
        _check_time(name, deadline)
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        cell_report = CellReport(number, next(line for line in cell.source.splitlines() if line.strip()))
        if cell.source.lstrip().startswith("%%"):
            cell_report.error = "a cell magic (`%%...`) is never run"
            report.cells.append(cell_report)
            continue
        source, cell_report.magics = _without_magics(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            cell_report.error = f"not valid Python (line {error.lineno}: {error.msg})"
            report.cells.append(cell_report)
            continue
        parsed.append((cell_report, source, tree))

    own_names = _own_names(tree for _, _, tree in parsed)
    left_out_names = set()
    chunks = [cell_marker(name, cell.number, cell.error) for cell in report.cells if cell.error]
    for cell_report, source, tree in parsed:
        _check_time(name, deadline)
        lines = source.splitlines()
        kept = []     # the cell's kept lines, each at its own line of the cell, so that a line of the module
        for statement in tree.body:     # is found again in the notebook (grade.GradingSession.located)
            if _is_kept(statement, own_names, left_out_names):
                text, first = _statement_source(statement, lines, tree.body)
                kept.extend([""] * max(first - 1 - len(kept), 0))
                kept.extend(text.splitlines())
            else:
                left_out_names |= _assigned_names(statement)
                cell_report.left_out.append((statement.lineno, lines[statement.lineno - 1]))
        if cell_report.magics or cell_report.left_out:
            report.cells.append(cell_report)
        chunks.append("\n".join([cell_marker(name, cell_report.number)] + kept))
    report.cells.sort(key=lambda cell: cell.number)
    return "\n\n".join(chunks) + "\n", report


CELL_MARKER = re.compile(r"^# --- (?P<notebook>.+), cell (?P<cell>\d+)(?: left out: (?P<left_out>.*))? ---$")


def notebook_place(module_source, line):
    """(notebook name, cell number, line in the cell) of a line of a module made from a notebook, or None (an
    ordinary file, or a line outside any cell)."""
    lines = module_source.splitlines()
    for number in range(min(line, len(lines)), 0, -1):
        found = CELL_MARKER.match(lines[number - 1])
        if found and not found["left_out"]:
            return (found["notebook"], int(found["cell"]), line - number) if line > number else None
    return None


def left_out_cells(module_source):
    """[(notebook name, cell number, why)] of the cells a module made from a notebook left out whole."""
    return [(found["notebook"], int(found["cell"]), found["left_out"]) for found in map(CELL_MARKER.match,
            module_source.splitlines()) if found and found["left_out"]]


def cell_marker(notebook, number, left_out_because=""):
    """The comment line that starts a cell's code in the module (its lines follow at their own line numbers), or
    says why a cell was left out whole; grade.GradingSession.located reads these back."""
    if left_out_because:
        return f"# --- {notebook}, cell {number} left out: {left_out_because} ---"
    return f"# --- {notebook}, cell {number} ---"


def _without_magics(source):
    """(source with magic and shell lines blanked, how many). An indented one becomes `pass` to keep the block."""
    if _is_python(source):
        return source, 0      # no magics (a line starting with % inside a string is left alone)
    lines, removed = [], 0
    for line in source.splitlines():
        if MAGIC_LINE.match(line) and not _is_python(line):
            removed += 1
            indent = line[:len(line) - len(line.lstrip())]
            lines.append(f"{indent}pass" if indent else "")
        else:
            lines.append(line)
    return "\n".join(lines), removed


def _is_python(text):
    """True for text that parses, e.g. the line `a = b != c` (which the magic pattern must not take for `!cmd`)."""
    try:
        ast.parse(text.strip())
        return True
    except SyntaxError:
        return False


def _own_names(trees):
    """Names whose call runs the student's code: defs and classes of the notebook, imports from its modules."""
    names = set()
    for tree in trees:
        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(statement.name)
            elif isinstance(statement, ast.ImportFrom) and (statement.module or "").split(".")[0] in ASSIGNMENT_MODULES:
                names.update(alias.asname or alias.name for alias in statement.names)
            elif isinstance(statement, ast.Import):
                names.update(alias.asname or alias.name for alias in statement.names
                             if alias.name.split(".")[0] in ASSIGNMENT_MODULES)
    return names


def _is_main_guard(statement):
    test = statement.test if isinstance(statement, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _is_kept(statement, own_names, left_out_names):
    """Does running this top-level statement only define something (see the module docstring's rule 3)?"""
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                              ast.Pass)):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return True                                   # a docstring or a stray literal
    if isinstance(statement, ast.If) and _is_main_guard(statement):
        return True
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return not _runs_own_code(statement, own_names, left_out_names)
    if isinstance(statement, ast.If):
        return (not _runs_own_code(statement.test, own_names, left_out_names)
                and all(_is_kept(inner, own_names, left_out_names) for inner in statement.body + statement.orelse))
    if isinstance(statement, ast.Try):
        blocks = statement.body + statement.orelse + statement.finalbody
        blocks += [inner for handler in statement.handlers for inner in handler.body]
        return all(_is_kept(inner, own_names, left_out_names) for inner in blocks)
    return False


def _runs_own_code(node, own_names, left_out_names):
    """Does evaluating `node` call a name in own_names, or read a name a left-out statement would have set?"""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Lambda):
            continue
        if isinstance(inner, ast.Call):
            called = inner.func
            while isinstance(called, ast.Attribute):
                called = called.value
            if isinstance(called, ast.Name) and called.id in own_names:
                return True
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load) and inner.id in left_out_names:
            return True
    return False


def _assigned_names(statement):
    """Names a statement binds at the top level (targets of assignments, loops, with, imports...)."""
    names = set()
    for inner in ast.walk(statement):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.add(inner.id)
    return names


def _statement_source(statement, lines, body):
    """(The statement's own text, the line of the cell it starts on): its lines (decorators included), or
    ast.unparse when it shares a line."""
    first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
    last = statement.end_lineno
    shares_a_line = any(other is not statement and other.lineno <= last and other.end_lineno >= first
                        for other in body)
    if shares_a_line:
        return ast.unparse(statement), first
    return "\n".join(lines[first - 1:last]), first
