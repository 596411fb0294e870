"""Similarity report: which submissions' code is too alike to be independent work.

    python -m autograder similarity SUBMISSIONS... --out OUT [--against EARLIER...] [--threshold 0.5]
    python -m autograder similarity --synthetic 240 [--seed 1] [--out DIR]     (measure it on a synthetic class)

How (the winnowing of Schleimer, Wilkerson and Aiken, as in MOSS and copydetect):

1. Each submission is staged the way the grader stages it (`intake.stage`: folders, .zip, .py, .ipynb; only regular
   files, size caps), and its convolution.py and assignment.py are tokenized with Python's own tokenizer — nothing is
   imported or run. Comments, docstrings, blank lines and layout are dropped; every identifier the student could
   rename (variables, parameters, functions, import aliases) becomes `V`, other string literals `S`; keywords,
   operators, numbers, builtins and attribute names (`.pad`, `.einsum`) are kept. Renaming, reformatting and
   re-commenting therefore change nothing.
2. Every run of K consecutive tokens is hashed, and winnowing keeps the smallest hash of each window of W hashes: a
   fingerprint set that is the same wherever the code sits in the file, so reordered functions still match.
3. Fingerprints of the stencil's given code (stencil/convolution.py and assignment.py) are removed, and so are
   fingerprints found in more than `max_share` of the class and in more than 10 submissions (common idioms nearly
   every solution writes; a small class keeps them all, so a copy ring cannot hide by being most of the class).
4. A pair's score is shared fingerprints / the smaller submission's fingerprints (copying a part of a longer file
   counts fully). A pair is flagged at score >= threshold when both sides have at least `min_fingerprints`
   (too little code of one's own, such as an untouched stencil, says nothing).

Output in OUT: similarity.csv (every pair scoring at least half the threshold: both names, score, each side's
matched lines, flagged, page), a "Similarity" section appended to summary.md (the top pairs), and one side-by-side
HTML page per flagged pair in OUT/similarity/, the matched lines highlighted. Everything from a submission (file
contents, names) is escaped on each page, and the pages forbid scripts (Content-Security-Policy).
"""
import builtins
import hashlib
import io
import keyword
import shutil
import sys
import tempfile
import time
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder import intake
from autograder.paths import ROOT
from autograder.similarity_report import append_section, page, summary_section, write_csv

STENCIL_FILES = (ROOT / "stencil" / "convolution.py", ROOT / "stencil" / "assignment.py")
MODULE_FILES = ("convolution.py", "assignment.py")

K = 12                      # tokens per hashed run (a short statement is ~8-15 normalised tokens)
WINDOW = 6                  # winnowing window: any shared run of K + WINDOW - 1 tokens is certain to be found
THRESHOLD = 0.5             # flag a pair whose score is at least this (see the README's measured precision/recall)
MIN_FINGERPRINTS = 15       # both sides need this much code of their own (after the stencil) to be judged
MAX_SHARE = 0.5             # a fingerprint in more than this fraction of the class (and more than COMMON_AT least
COMMON_AT_LEAST = 10        # submissions, as MOSS's -m 10) is common knowledge, not copying

KEPT_NAMES = frozenset(dir(builtins)) | {
    "self", "super", "conv2d", "conv_output_size", "CNN", "call", "loss", "accuracy", "train", "test", "main"}


# -- tokens and fingerprints --------------------------------------------------------------------------------------

@dataclass
class Token:
    text: str
    file: str
    line: int


def normalised_tokens(source, file_name):
    """The token stream of `source` with layout, comments and docstrings gone and renameable names replaced by V.
    A file that does not tokenize keeps the tokens read before the error."""
    tokens = []
    previous = None              # the last significant token (for "attribute after a dot", "docstring")
    line_start = True            # the next token starts a logical line (a string there is a docstring/statement)
    line_start_string = False    # the last token was a string that started its logical line
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
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


@dataclass
class Submission:
    name: str
    sources: dict                                   # file name -> source text
    prints: dict = field(default_factory=dict)      # hash -> [(file, first line, last line)]
    earlier: bool = False                           # from --against (earlier terms): compared with this class only
    problem: str = ""                               # why it could not be read


def source_files(path):
    """{file name: source} of the submission at `path`, staged as the grader stages it (no code is run)."""
    with tempfile.TemporaryDirectory(prefix="cnn-similarity-") as scratch:
        staged = intake.stage(path, Path(scratch) / "submission")
        sources = {}
        seen = set()
        for file_name in MODULE_FILES:
            file = staged.directory / file_name
            if file.exists():
                text = file.read_text(encoding="utf-8", errors="replace")
                if text not in seen:             # a single .py or .ipynb is staged under both names: count it once
                    seen.add(text)
                    sources[file_name] = text
        return sources


def stencil_prints():
    hashes = set()
    for file in STENCIL_FILES:
        if file.exists():
            hashes |= set(fingerprints(normalised_tokens(file.read_text(), file.name)))
    return hashes


def load(named_paths, earlier=False):
    """Submissions from {name: path}; one that cannot be staged is kept with its problem (and no fingerprints)."""
    submissions = []
    for name, path in sorted(named_paths.items()):
        try:
            sources = source_files(path)
        except Exception as error:            # a broken zip, a refused file: report it, compare the rest
            submissions.append(Submission(name, {}, earlier=earlier, problem=f"{error.__class__.__name__}: {error}"))
            continue
        submissions.append(Submission(name, sources, earlier=earlier))
    return submissions


def fingerprint_all(submissions, max_share=MAX_SHARE):
    """Fill each submission's prints, minus the stencil's and those shared by more than max_share of the class."""
    given = stencil_prints()
    for submission in submissions:
        prints = {}
        for file_name, source in submission.sources.items():
            for value, places in fingerprints(normalised_tokens(source, file_name)).items():
                prints.setdefault(value, []).extend(places)
        submission.prints = {value: places for value, places in prints.items() if value not in given}
    current = [s for s in submissions if not s.earlier]
    if max_share:
        counts = defaultdict(int)
        for submission in current:
            for value in submission.prints:
                counts[value] += 1
        limit = max(max_share * len(current), COMMON_AT_LEAST)
        common = {value for value, count in counts.items() if count > limit}
        for submission in submissions:
            submission.prints = {v: p for v, p in submission.prints.items() if v not in common}


# -- pairs --------------------------------------------------------------------------------------------------------

@dataclass
class Pair:
    a: Submission
    b: Submission
    shared: int
    score: float
    flagged: bool
    page: str = ""

    def lines(self, side):
        """{file: sorted line numbers} of `side` ("a" or "b") covered by the shared fingerprints."""
        mine, other = (self.a, self.b) if side == "a" else (self.b, self.a)
        covered = defaultdict(set)
        for value in mine.prints.keys() & other.prints.keys():
            for file_name, first, last in mine.prints[value]:
                covered[file_name].update(range(first, last + 1))
        return {file_name: sorted(lines) for file_name, lines in covered.items()}


def compare(submissions, threshold=THRESHOLD, min_fingerprints=MIN_FINGERPRINTS, floor=None):
    """Every pair (current x current, current x earlier) scoring at least `floor` (default threshold / 2), best first.
    Counted through an inverted index, so the cost grows with the shared fingerprints, not with the pairs."""
    floor = threshold / 2 if floor is None else floor
    holders = defaultdict(list)
    for index, submission in enumerate(submissions):
        for value in submission.prints:
            holders[value].append(index)
    shared = defaultdict(int)
    for indices in holders.values():
        for i, first in enumerate(indices):
            for second in indices[i + 1:]:
                shared[(first, second)] += 1
    pairs = []
    for (first, second), count in shared.items():
        a, b = submissions[first], submissions[second]
        if a.earlier and b.earlier:
            continue
        smaller = min(len(a.prints), len(b.prints))
        score = count / smaller if smaller else 0.0
        if score >= floor:
            flagged = score >= threshold and smaller >= min_fingerprints
            pairs.append(Pair(a, b, count, round(score, 4), flagged))
    pairs.sort(key=lambda pair: (-pair.score, -pair.shared, pair.a.name, pair.b.name))
    return pairs


# -- outputs ------------------------------------------------------------------------------------------------------


def report(submissions, out_dir, threshold=THRESHOLD, min_fingerprints=MIN_FINGERPRINTS, max_share=MAX_SHARE):
    """Fingerprint, compare, and write similarity.csv, the summary section and the pages into out_dir; the pairs."""
    started = time.monotonic()
    fingerprint_all(submissions, max_share=max_share)
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
    append_section(out_dir / "summary.md", summary_section(pairs, submissions, threshold, seconds))
    return pairs, seconds


def named_submissions(paths):
    """{name: path} named as `grade` names them (so that OUT/<name>/ and the report agree)."""
    from autograder.batch import find_submissions
    return {name: path for name, (path, _) in find_submissions(paths).items()}


def main(argv=None):
    """`python -m autograder similarity` as a function of its words."""
    from autograder.__main__ import main as command_line
    return command_line(["similarity", *(sys.argv[1:] if argv is None else argv)])


def add_arguments(parser):
    parser.add_argument("paths", nargs="*", help="the submissions graded (the same paths as for grade)")
    parser.add_argument("--out", help="the grading's output folder (default: build/grades; with --synthetic: none)")
    parser.add_argument("--against", nargs="+", default=[], metavar="DIR",
                        help="earlier terms' submissions: compared with this class, not with each other")
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help=f"flag at this score (default {THRESHOLD})")
    parser.add_argument("--min-fingerprints", type=int, default=MIN_FINGERPRINTS)
    parser.add_argument("--max-share", type=float, default=MAX_SHARE,
                        help="ignore fingerprints in more than this fraction of the class (0: keep all)")
    parser.add_argument("--synthetic", type=int, metavar="N",
                        help="instead: generate a synthetic class of N submissions from tests/catalogue and report "
                             "precision/recall of the flagged pairs and the time")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic class")
    parser.set_defaults(parser=parser)


def run(args):
    """`python -m autograder similarity`, from its parsed arguments."""
    if args.synthetic:
        from autograder import synthetic_class
        return synthetic_class.main_measure(args.synthetic, args.seed, args.threshold, args.out)
    if not args.paths:
        args.parser.error("give the submissions (the same paths as for grade), or --synthetic N")
    args.out = args.out or "build/grades"
    submissions = load(named_submissions(args.paths))
    for folder in args.against:
        submissions += load({f"earlier:{name}": path for name, path in named_submissions([folder]).items()},
                            earlier=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    pairs, seconds = report(submissions, args.out, args.threshold, args.min_fingerprints, args.max_share)
    flagged = [pair for pair in pairs if pair.flagged]
    for pair in flagged[:20]:
        print(f"{pair.score:5.0%}  {pair.a.name}  {pair.b.name}  -> {Path(args.out) / pair.page}")
    for submission in submissions:
        if submission.problem:
            print(f"not compared: {submission.name}: {submission.problem}", file=sys.stderr)
    print(f"{len(submissions)} submissions, {len(flagged)} flagged pairs, {seconds:.1f} s; "
          f"{Path(args.out) / 'similarity.csv'}, {Path(args.out) / 'summary.md'}")
    return 0
