"""Similarity report: which submissions' code is too alike to be independent work.

    python -m autograder similarity SUBMISSIONS... --out OUT [--base STENCIL...] [--against EARLIER...]
    python -m autograder similarity SUBMISSIONS... --config course.toml     ([similarity] base, threshold, ...)
    python -m autograder similarity --synthetic 240 [--seed 1]    (measure it on a synthetic class)
    python -m autograder similarity --evaluate                     (measure it on real public code, tests/similarity_real)

How (the winnowing of Schleimer, Wilkerson and Aiken, as in MOSS and copydetect):

1. Each submission is staged the way the grader stages it (`intake.stage`: folders, .zip, .py, .ipynb; only regular
   files, size caps), and each of its files (convolution.py, assignment.py; a notebook is one file whose lines are
   labelled by cell) is tokenized with Python's own tokenizer — nothing is imported or run. Comments, docstrings,
   blank lines and layout are dropped; every identifier the student could rename becomes `V`, other string literals
   `S`; keywords, operators, numbers, builtins and attribute names (`.pad`, `.einsum`) are kept. Renaming,
   reformatting and re-commenting therefore change nothing.
2. Every run of K consecutive tokens is hashed, and winnowing keeps the smallest hash of each window of W hashes: a
   fingerprint set that is the same wherever the code sits in the file, so reordered functions still match.
3. Given code is subtracted: the fingerprints of this project's stencil and of every base file (`--base`, or
   `[similarity] base` in the course config: the course's stencil, handouts, earlier releases), as MOSS's base files.
   Common code is removed too: a fingerprint in more than `common_share` of the class and in at least
   `common_at_least` submissions (a small class keeps all, so a copy ring cannot hide by being most of it).
   The report says how many fingerprints each rule removed.
4. Files are scored apart: a pair of files scores shared fingerprints / the smaller file's fingerprints, and a pair
   of submissions scores as its strongest pair of files (which the report names), so a student's own assignment.py
   cannot dilute a copied convolution.py. A pair is flagged at score >= threshold when both files have at least
   `min_fingerprints` of their own (an untouched stencil says nothing).

Output in OUT: similarity.csv (every pair scoring at least half the threshold), similarity/index.html (the class's
pairs with the files and share that carry them, and what the filters removed), one page per flagged pair in
OUT/similarity/ (opening at the strongest files, matched regions in distinct colours with jump links, given and
common code marked), and a "Similarity" section of summary.md. Everything from a submission is escaped on the pages,
and the pages forbid scripts (Content-Security-Policy). Nothing is written when the paths are not submissions.
"""
import ast
import builtins
import hashlib
import io
import keyword
import math
import shutil
import sys
import tempfile
import time
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder import intake
from autograder.notebooks import CELL_MARKER
from autograder.config import CONFIG
from autograder.paths import ROOT
from autograder.similarity_report import append_section, index_page, page, summary_section, write_csv

STENCIL_FILES = (ROOT / "stencil" / "convolution.py", ROOT / "stencil" / "assignment.py")
MODULE_FILES = ("convolution.py", "assignment.py")
SETTINGS = CONFIG.similarity

K = 12                      # tokens per hashed run (a short statement is ~8-15 normalised tokens)
WINDOW = 6                  # winnowing window: any shared run of K + WINDOW - 1 tokens is certain to be found
THRESHOLD = SETTINGS.threshold
MIN_FINGERPRINTS = SETTINGS.min_fingerprints
COMMON_SHARE = SETTINGS.common_share
COMMON_AT_LEAST = SETTINGS.common_at_least
MAX_TOKENS = 200_000        # per file: a hostile file (a 4 MB one-liner) costs bounded work
MAX_BASE_FILES = 500        # per --base folder walked
MAX_FUNCTIONS = 200         # per file: functions scored on their own (more are compared only within their file)

KEPT_NAMES = frozenset(dir(builtins)) | {
    "self", "super", "conv2d", "conv_output_size", "CNN", "call", "loss", "accuracy", "train", "test", "main"}


# -- tokens and fingerprints --------------------------------------------------------------------------------------

@dataclass
class Token:
    text: str
    file: str
    line: int


def normalised_tokens(source, file_name, limit=MAX_TOKENS):
    """The token stream of `source` with layout, comments and docstrings gone and renameable names replaced by V.
    A file that does not tokenize keeps the tokens read before the error; at most `limit` tokens are read."""
    tokens = []
    previous = None              # the last significant token (for "attribute after a dot", "docstring")
    line_start = True            # the next token starts a logical line (a string there is a docstring/statement)
    line_start_string = False    # the last token was a string that started its logical line
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if len(tokens) >= limit:
                break
            kind, text = token.type, token.string
            if kind in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                if kind == tokenize.NEWLINE and tokens and tokens[-1].text == "S" and line_start_string:
                    tokens.pop()         # a string alone on its line: a docstring (or a comment in quotes)
                    continue
                line_start = True
                if kind != tokenize.NEWLINE:
                    tokens.append(Token({tokenize.INDENT: "{", tokenize.DEDENT: "}"}[kind], file_name,
                                        token.start[0]))
                else:
                    tokens.append(Token(";", file_name, token.start[0]))
                continue
            line_start_string = line_start and kind == tokenize.STRING
            if kind == tokenize.NAME:
                if keyword.iskeyword(text) or text in KEPT_NAMES or previous == ".":
                    normal = text
                else:
                    normal = "V"
            elif kind == tokenize.STRING or getattr(tokenize, "FSTRING_START", None) == kind:
                normal = "S"
            elif kind in (getattr(tokenize, "FSTRING_MIDDLE", -1), getattr(tokenize, "FSTRING_END", -1)):
                continue
            else:
                normal = text
            if normal == "S" and tokens and tokens[-1].text == "S" and not line_start:
                continue                 # implicitly concatenated strings are one
            tokens.append(Token(normal, file_name, token.start[0]))
            previous = text
            line_start = False
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    # a docstring-only line leaves a ";" behind: drop ";" runs so removed lines leave no trace
    cleaned = []
    for token in tokens:
        if token.text == ";" and (not cleaned or cleaned[-1].text in (";", "{", "}")):
            continue
        cleaned.append(token)
    return cleaned


def _hash(texts):
    return int.from_bytes(hashlib.blake2b(" ".join(texts).encode(), digest_size=8).digest(), "big")


def fingerprints(tokens, k=K, window=WINDOW):
    """{hash: [(file, first line, last line), ...]} chosen by winnowing the hashes of every k-token run."""
    if len(tokens) < k:
        return {}
    texts = [token.text for token in tokens]
    hashes = [_hash(texts[i:i + k]) for i in range(len(tokens) - k + 1)]
    chosen = set()
    for start in range(max(1, len(hashes) - window + 1)):
        span = hashes[start:start + window]
        smallest = min(span)
        chosen.add(start + max(i for i, value in enumerate(span) if value == smallest))   # the rightmost minimum
    prints = defaultdict(list)
    for i in sorted(chosen):
        first, last = tokens[i], tokens[i + k - 1]
        if first.file == last.file:
            prints[hashes[i]].append((first.file, first.line, last.line))
    return dict(prints)


def source_prints(source, file_name):
    return fingerprints(normalised_tokens(source, file_name))


# -- submissions --------------------------------------------------------------------------------------------------

@dataclass
class Submission:
    name: str
    sources: dict                                   # file name -> source text
    cells: dict = field(default_factory=dict)       # notebook file name -> [(first line, cell number)]
    prints: dict = field(default_factory=dict)      # unit -> {hash: [(first line, last line)]}, own code only
    unit_file: dict = field(default_factory=dict)   # unit -> its file: a unit is a file or one function of it
    given: dict = field(default_factory=dict)       # file name -> {line: "given" | "common"}: code not counted
    earlier: bool = False                           # from --against (earlier terms): compared with this class only
    problem: str = ""                               # why it could not be read

    def size(self, unit):
        return len(self.prints.get(unit, ()))

    def file_of(self, unit):
        return self.unit_file.get(unit, unit)

    def where(self, file_name, line):
        """How a line is shown: "12" in a .py file, "cell 3 line 4" in a notebook."""
        starts = self.cells.get(file_name)
        if not starts:
            return str(line)
        first, number = max(((f, n) for f, n in starts if f <= line), default=(1, 0))
        return f"cell {number} line {line - first + 1}"


def function_spans(source):
    """[(name, first line, last line)] of the module's functions and methods; [] when it does not parse (a student's
    syntax error, or nesting too deep for the parser: the file is still compared whole)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    spans = []
    for node in tree.body:
        members = node.body if isinstance(node, ast.ClassDef) else [node]
        for member in members:
            if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                prefix = f"{node.name}." if member is not node else ""
                spans.append((f"{prefix}{member.name}()", member.lineno, member.end_lineno))
    return spans[:MAX_FUNCTIONS]


def _notebook_name(path):
    """The name of the notebook a submission was staged from (a notebook's cells become one file)."""
    path = Path(path)
    if path.suffix == ".ipynb":
        return path.name
    if path.is_dir():
        notebooks = sorted(child.name for child in path.iterdir() if child.suffix == ".ipynb")
        if notebooks:
            return notebooks[0]
    return "notebook.ipynb"


def notebook_cells(source):
    """[(first line, cell number)] of a module intake made from a notebook; [] for an ordinary file."""
    starts = []
    for number, line in enumerate(source.splitlines(), start=1):
        found = CELL_MARKER.match(line)
        if found and not found["left_out"]:
            starts.append((number + 1, int(found["cell"])))
    return starts


def read_submission(name, path, earlier=False):
    """The Submission at `path`, staged as the grader stages it (no code is run)."""
    with tempfile.TemporaryDirectory(prefix="cnn-similarity-") as scratch:
        staged = intake.stage(path, Path(scratch) / "submission")
        submission = Submission(name, {}, earlier=earlier)
        seen = set()
        for module_file in MODULE_FILES:
            file = staged.directory / module_file
            if not file.exists():
                continue
            text = file.read_text(encoding="utf-8", errors="replace")
            if text in seen:                 # a single .py or .ipynb is staged under both names: count it once
                continue
            seen.add(text)
            cells = notebook_cells(text)
            file_name = _notebook_name(path) if cells else module_file
            submission.sources[file_name] = text
            if cells:
                submission.cells[file_name] = cells
        return submission


def load(named_paths, earlier=False):
    """Submissions from {name: path}; one that cannot be staged is kept with its problem (and no fingerprints)."""
    submissions = []
    for name, path in sorted(named_paths.items()):
        try:
            submissions.append(read_submission(name, path, earlier))
        except Exception as error:            # a broken zip, a refused file: report it, compare the rest
            submissions.append(Submission(name, {}, earlier=earlier, problem=f"{error.__class__.__name__}: {error}"))
    return submissions


# -- given code ---------------------------------------------------------------------------------------------------

@dataclass
class GivenCode:
    """Fingerprints not to count: the stencil's and the base files' (given), and the class's common ones."""
    given: set = field(default_factory=set)
    base_files: list = field(default_factory=list)   # the base files read (shown in the report)
    common: set = field(default_factory=set)
    common_limit: int = 0                            # a fingerprint in at least this many submissions is common
    class_size: int = 0
    given_removed: int = 0                           # distinct fingerprints of submissions removed as given
    problems: list = field(default_factory=list)     # base files that could not be read


def base_sources(paths):
    """[(shown name, source)] of the .py and .ipynb files at `paths` (files or folders, walked to a bound)."""
    from autograder.notebooks import notebook_module
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(file for file in path.rglob("*") if file.suffix in (".py", ".ipynb") and file.is_file()
                           and not any(part.startswith(".") for part in file.relative_to(path).parts))
            files = files[:MAX_BASE_FILES]
        else:
            files = [path] if path.is_file() else []
        if not files:
            raise FileNotFoundError(f"no base code at {path} (give .py or .ipynb files, or folders of them)")
        for file in files:
            if file.stat().st_size > intake.MAX_NOTEBOOK_BYTES:
                continue
            if file.suffix == ".ipynb":
                source, _ = notebook_module(file)
            else:
                source = file.read_text(encoding="utf-8", errors="replace")
            found.append((str(file), source))
    return found


def given_code(base=()):
    """GivenCode holding the fingerprints of this project's stencil and of the base files."""
    code = GivenCode()
    for file in STENCIL_FILES:
        if file.exists():
            code.given |= set(source_prints(file.read_text(), file.name))
    for shown, source in base_sources(base):
        code.given |= set(source_prints(source, Path(shown).name))
        code.base_files.append(shown)
    return code


def fingerprint_all(submissions, base=(), common_share=COMMON_SHARE, common_at_least=COMMON_AT_LEAST, functions=True):
    """Fill each submission's prints with its own code: minus the given code (stencil, base files) and minus the
    fingerprints common to the class; each file is a unit, and (with `functions`) so is each of its functions.
    Returns the GivenCode with what was removed."""
    code = given_code(base)
    raw = {}
    for submission in submissions:
        raw[submission.name] = {file_name: source_prints(source, file_name)
                                for file_name, source in submission.sources.items()}
    current = [s for s in submissions if not s.earlier]
    code.class_size = len(current)
    counts = defaultdict(int)
    for submission in current:
        for value in set().union(*raw[submission.name].values()) - code.given:
            counts[value] += 1
    if common_share and common_at_least and len(current) >= 2 * common_at_least:
        code.common_limit = max(common_at_least, math.floor(common_share * len(current)) + 1)
        code.common = {value for value, count in counts.items() if count >= code.common_limit}
    seen_given = set()
    for submission in submissions:
        submission.prints, submission.given, submission.unit_file = {}, {}, {}
        for file_name, prints in raw[submission.name].items():
            own, marks = {}, {}
            for value, places in prints.items():
                kind = "given" if value in code.given else "common" if value in code.common else ""
                if kind:
                    if kind == "given":
                        seen_given.add(value)
                    for _, first, last in places:
                        for line in range(first, last + 1):
                            marks.setdefault(line, kind)
                else:
                    own[value] = [(first, last) for _, first, last in places]
            submission.given[file_name] = marks
            submission.prints[file_name] = own
            submission.unit_file[file_name] = file_name
            # each function is scored on its own too: one copied function among the student's own is evidence
            for function, first_line, last_line in function_spans(submission.sources[file_name]) if functions else ():
                inside = {value: [(a, b) for a, b in places if first_line <= a and b <= last_line]
                          for value, places in own.items()}
                inside = {value: places for value, places in inside.items() if places}
                if inside and len(inside) < len(own):
                    unit = f"{file_name}:{function}"
                    submission.prints[unit] = inside
                    submission.unit_file[unit] = file_name
    code.given_removed = len(seen_given)
    return code


# -- pairs --------------------------------------------------------------------------------------------------------

@dataclass
class FileMatch:
    """How one file of a submission matches one file of another."""
    file_a: str
    file_b: str
    shared: int
    score: float          # shared / the smaller file's fingerprints
    judged: bool          # both files have at least min_fingerprints of their own


@dataclass
class Pair:
    a: Submission
    b: Submission
    matches: list                   # FileMatch, strongest first
    flagged: bool
    page: str = ""

    @property
    def best(self):
        return self.matches[0]

    @property
    def score(self):
        return self.best.score

    @property
    def shared(self):
        return self.best.shared

    def lines(self, side):
        """{file: sorted line numbers} of `side` ("a" or "b") covered by fingerprints shared with the other side."""
        mine, other = (self.a, self.b) if side == "a" else (self.b, self.a)
        theirs = set().union(*other.prints.values()) if other.prints else set()
        covered = defaultdict(set)
        for file_name, prints in mine.prints.items():
            if mine.file_of(file_name) != file_name:
                continue                 # a function's lines are its file's
            for value in prints.keys() & theirs:
                for first, last in prints[value]:
                    covered[file_name].update(range(first, last + 1))
        return {file_name: sorted(lines) for file_name, lines in covered.items()}

    def regions(self, match):
        """Matched regions of one FileMatch: [(first, last line in a's file, first, last line in b's file)] in a's
        order; shared fingerprints next to each other on both sides form one region."""
        prints_a, prints_b = self.a.prints[match.file_a], self.b.prints[match.file_b]   # units: lines of their files
        spans = sorted((prints_a[value][0], prints_b[value][0]) for value in prints_a.keys() & prints_b.keys())
        regions = []
        for (a_first, a_last), (b_first, b_last) in spans:
            if regions:
                ra_first, ra_last, rb_first, rb_last = regions[-1]
                if a_first <= ra_last + 1 and b_first <= rb_last + 1 and b_last >= rb_first - 1:
                    regions[-1] = (ra_first, max(ra_last, a_last), min(rb_first, b_first), max(rb_last, b_last))
                    continue
            regions.append((a_first, a_last, b_first, b_last))
        return regions


def compare(submissions, threshold=THRESHOLD, min_fingerprints=MIN_FINGERPRINTS, floor=None):
    """Every pair (current x current, current x earlier) scoring at least `floor` (default threshold / 2), best first.
    Counted through an inverted index over files, so the cost grows with the shared fingerprints, not the pairs."""
    floor = threshold / 2 if floor is None else floor
    holders = defaultdict(list)
    for index, submission in enumerate(submissions):
        for unit, prints in submission.prints.items():
            whole_file = submission.file_of(unit) == unit
            for value in prints:
                holders[value].append((index, unit, whole_file))
    shared = defaultdict(int)
    for places in holders.values():
        for i, (first, file_a, whole_a) in enumerate(places):
            for second, file_b, whole_b in places[i + 1:]:
                if first != second and whole_a == whole_b:     # a file with a file, a function with a function
                    shared[(first, second, file_a, file_b)] += 1
    by_pair = defaultdict(list)
    for (first, second, file_a, file_b), count in shared.items():
        a, b = submissions[first], submissions[second]
        if a.earlier and b.earlier:
            continue
        size_a, size_b = a.size(file_a), b.size(file_b)
        smaller = min(size_a, size_b)
        by_pair[(first, second)].append(FileMatch(file_a, file_b, count, round(count / smaller, 4) if smaller else 0.0,
                                                  smaller >= min_fingerprints))
    pairs = []
    for (first, second), matches in by_pair.items():
        # judged matches first (a 3-fingerprint file matching fully says nothing), then by score
        matches.sort(key=lambda m: (not m.judged, -m.score, -m.shared, m.file_a, m.file_b))
        if matches[0].score >= floor:
            pairs.append(Pair(submissions[first], submissions[second], matches,
                              matches[0].judged and matches[0].score >= threshold))
    pairs.sort(key=lambda pair: (not pair.flagged, -pair.score, -pair.shared, pair.a.name, pair.b.name))
    return pairs


# -- outputs ------------------------------------------------------------------------------------------------------


def report(submissions, out_dir, threshold=THRESHOLD, min_fingerprints=MIN_FINGERPRINTS, base=(),
           common_share=COMMON_SHARE, common_at_least=COMMON_AT_LEAST):
    """Fingerprint, compare, and write similarity.csv, the pages, the index and the summary section into out_dir.
    Returns (pairs, seconds, GivenCode)."""
    started = time.monotonic()
    code = fingerprint_all(submissions, base, common_share, common_at_least)
    pairs = compare(submissions, threshold, min_fingerprints)
    out_dir = Path(out_dir)
    pages = out_dir / "similarity"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir(parents=True, exist_ok=True)
    for number, pair in enumerate((p for p in pairs if p.flagged), start=1):
        pair.page = f"similarity/pair-{number:04d}.html"
        (out_dir / pair.page).write_text(page(pair, threshold), encoding="utf-8")
    write_csv(pairs, out_dir / "similarity.csv")
    seconds = time.monotonic() - started
    (pages / "index.html").write_text(index_page(pairs, submissions, code, threshold), encoding="utf-8")
    append_section(out_dir / "summary.md", summary_section(pairs, submissions, code, threshold, seconds))
    return pairs, seconds, code


def named_submissions(paths):
    """{name: path} named as `grade` names them (so that OUT/<name>/ and the report agree)."""
    from autograder.batch import find_submissions
    return {name: path for name, (path, _) in find_submissions(paths).items()}


def grading_output_problem(path):
    """Why `path` is a grading's output folder rather than submissions ("" when it is not one)."""
    path = Path(path)
    if not path.is_dir():
        return ""
    marks = [name for name in ("grades.csv", "similarity.csv") if (path / name).is_file()]
    if not marks:
        marks = [f"{child.name}/grader.json" for child in sorted(path.iterdir())[:200]
                 if (child / "grader.json").is_file()][:1]
    if not marks:
        return ""
    return (f"{path} is a grading's output folder (it holds {marks[0]}), not submissions: grading keeps no student "
            f"code there. Give the submissions that were graded, and this folder as --out:\n"
            f"    python -m autograder similarity SUBMISSIONS... --out {path}")


def main(argv=None):
    """`python -m autograder similarity` as a function of its words."""
    from autograder.__main__ import main as command_line
    return command_line(["similarity", *(sys.argv[1:] if argv is None else argv)])


def add_arguments(parser):
    parser.add_argument("paths", nargs="*", help="the submissions graded (the same paths as for grade)")
    parser.add_argument("--out", help="the grading's output folder (default: build/grades; with --synthetic: none)")
    parser.add_argument("--base", nargs="+", default=[], metavar="FILE_OR_DIR",
                        help="given code (the course's stencil, handouts, earlier releases: .py/.ipynb files or "
                             "folders), subtracted as MOSS's base files; added to the config's [similarity] base")
    parser.add_argument("--config", metavar="FILE",
                        help="the course's TOML config: its [similarity] table (base, threshold, common_share, ...)")
    parser.add_argument("--against", nargs="+", default=[], metavar="DIR",
                        help="earlier terms' submissions: compared with this class, not with each other")
    parser.add_argument("--threshold", type=float, help=f"flag at this score (default {THRESHOLD})")
    parser.add_argument("--min-fingerprints", type=int)
    parser.add_argument("--common-share", type=float,
                        help="a fingerprint in more than this share of the class (and in at least --common-at-least "
                             f"submissions) is common code (default {COMMON_SHARE}; 0: keep all)")
    parser.add_argument("--common-at-least", type=int)
    parser.add_argument("--synthetic", type=int, metavar="N",
                        help="instead: generate a synthetic class of N submissions from tests/catalogue and report "
                             "precision/recall of the flagged pairs and the time")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic class")
    parser.add_argument("--evaluate", nargs="?", const=str(REAL_SET), metavar="DIR",
                        help="instead: precision/recall per threshold on real public code (default "
                             "tests/similarity_real: its manifest names the files, base code and true copy pairs)")
    parser.set_defaults(parser=parser)


REAL_SET = ROOT / "tests" / "similarity_real"


def settings_from(args):
    """The similarity settings of the command: the config's [similarity] table, then the options over it."""
    settings, config_dir = SETTINGS, Path.cwd()
    if args.config:
        from autograder.config import ConfigError, load
        try:
            settings = load(args.config).similarity
        except ConfigError as error:
            args.parser.error(str(error))
        config_dir = Path(args.config).resolve().parent
    chosen = {name: getattr(args, name) for name in ("threshold", "min_fingerprints", "common_share", "common_at_least")}
    return {**{name: getattr(settings, name) if value is None else value for name, value in chosen.items()},
            "base": [str(config_dir / path) for path in settings.base] + list(args.base)}


def run(args):
    """`python -m autograder similarity`, from its parsed arguments."""
    settings = settings_from(args)
    if args.synthetic:
        from autograder import synthetic_class
        return synthetic_class.main_measure(args.synthetic, args.seed, settings["threshold"], args.out)
    if args.evaluate:
        from autograder import synthetic_class
        return synthetic_class.main_evaluate(Path(args.evaluate), settings)
    if not args.paths:
        args.parser.error("give the submissions (the same paths as for grade), or --synthetic N, or --evaluate")
    for path in [*args.paths, *args.against]:
        problem = grading_output_problem(path)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    try:
        named = named_submissions(args.paths)
        earlier = {f"earlier:{name}": path for folder in args.against for name, path in named_submissions([folder]).items()}
    except FileNotFoundError as error:
        args.parser.error(str(error))
    if not named:
        print(f"no submissions found in {', '.join(map(str, args.paths))}: give folders, .zip, .py or .ipynb files "
              "holding convolution.py (or folders of them)", file=sys.stderr)
        return 2
    try:
        base_sources(settings["base"])           # a wrong --base stops the run before anything is written
    except OSError as error:
        print(f"cannot read the base code: {error}", file=sys.stderr)
        return 2
    args.out = args.out or "build/grades"
    submissions = load(named) + load(earlier, earlier=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    pairs, seconds, code = report(submissions, args.out, **settings)
    flagged = [pair for pair in pairs if pair.flagged]
    for pair in flagged[:20]:
        print(f"{pair.score:5.0%}  {pair.a.name}  {pair.b.name}  ({pair.best.file_a} / {pair.best.file_b})  "
              f"-> {Path(args.out) / pair.page}")
    for submission in submissions:
        if submission.problem:
            print(f"not compared: {submission.name}: {submission.problem}", file=sys.stderr)
    print(f"{len(submissions)} submissions, {len(flagged)} flagged pairs, {seconds:.1f} s; given code: "
          f"{len(code.base_files)} base file(s), {code.given_removed} fingerprints removed; common code: "
          f"{len(code.common)} fingerprints removed; {Path(args.out) / 'similarity' / 'index.html'}, "
          f"{Path(args.out) / 'similarity.csv'}, {Path(args.out) / 'summary.md'}")
    return 0
