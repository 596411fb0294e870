"""Measuring the similarity report: on a synthetic class (copies disguised the way students disguise them, among
genuinely different implementations, with the truth known), and on real public student code (tests/similarity_real,
its true copy pairs found by reading; see main_evaluate at the end).

    python -m autograder similarity --synthetic 240 [--seed 1] [--threshold 0.6] [--out DIR]
    python -m autograder similarity --evaluate [DIR]

Families (the "original" each copy comes from) are implementations of conv2d written independently: the catalogue's
correct ones that do not share a template (window_einsum, im2col_one_matmul, offsets_matmul,
slices_without_padding), the solution, scipy_signal_correlate (an attack, but its own code), and the catalogue's
mistakes, which are one template with one bug each (tensordot_per_pixel, returns_tf_tensor and float64_result come
from that template too, so they are left out rather than counted as independent). Untouched stencils are added as
well: they share all their code and must not be flagged.

Every member of a family is a disguised copy of the family's original (for the mistakes family: of one of the 26
mistakes), at one of three strengths:

- light: comments added, removed and reworded, blank lines and spacing changed (the tokens are unchanged);
- medium: light, plus identifiers renamed (variables, parameters, helpers, import aliases), the functions
  reordered and the docstrings rewritten or dropped (through the AST, which also drops redundant parentheses);
- heavy: medium, plus 2-5 statements inserted here and there (dead assignments, prints, asserts), each breaking
  every fingerprint that spans it.

The truth: a pair is a copy exactly when both come from the same family (stencils: never).
"""
import ast
import builtins
import random
import shutil
import tempfile
import time
from pathlib import Path

from autograder.paths import ROOT

CATALOGUE = ROOT / "tests" / "catalogue"
INDEPENDENT = {
    "einsum": [CATALOGUE / "correct" / "window_einsum" / "convolution.py"],
    "im2col": [CATALOGUE / "correct" / "im2col_one_matmul" / "convolution.py"],
    "offsets": [CATALOGUE / "correct" / "offsets_matmul" / "convolution.py"],
    "slices": [CATALOGUE / "correct" / "slices_without_padding" / "convolution.py"],
    "scipy": [CATALOGUE / "attacks" / "scipy_signal_correlate" / "convolution.py"],
    "solution": [ROOT / "solution" / "convolution.py"],
}
MISTAKES = "mistakes"
STENCIL = "stencil"
API = {"conv2d", "conv_output_size"}          # the names the grader calls: never renamed
WORDS = ("img", "data", "arr", "kernel", "weights", "out", "res", "tmp", "val", "acc", "buf", "pad", "step", "size",
         "h", "w", "rows", "cols", "idx", "cnt", "total", "window", "patch", "mat", "vec", "batch", "chan", "k", "s")
COMMENTS = ("# compute the output", "# TODO: clean up", "# pad the input first", "# loop over the windows",
            "# shapes", "# strides can be int or list", "# see lecture 4", "# this took me forever",
            "# make sure it is float32", "# helper", "# check the padding mode", "# multiply and sum")
FILLERS = ("debug = False", "print('here')", "assert True", "_unused = 0", "counter = 0", "pass",
           "tmp_value = None", "verbose = 0")


def families():
    """{family: [original sources]}."""
    found = {name: [path.read_text() for path in paths if path.exists()] for name, paths in INDEPENDENT.items()}
    found[MISTAKES] = [path.read_text() for path in sorted((CATALOGUE / "mistakes").glob("*/convolution.py"))]
    return {name: sources for name, sources in found.items() if sources}


# -- disguises ----------------------------------------------------------------------------------------------------

def reword_comments(source, rng):
    """Drop or reword existing comments, add new ones with the right indentation, change blank lines and spacing."""
    lines = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if rng.random() < 0.5:
                continue
            line = line[:len(line) - len(line.lstrip())] + rng.choice(COMMENTS)
        elif "  # " in line and rng.random() < 0.6:
            line = line[:line.index("  # ")]
        if stripped and rng.random() < 0.12:
            lines.append(line[:len(line) - len(line.lstrip())] + rng.choice(COMMENTS))
        if not stripped and rng.random() < 0.4:
            continue
        lines.append(line.rstrip() + (" " * rng.randint(0, 2) if stripped else ""))
        if stripped and rng.random() < 0.05:
            lines.append("")
    return "\n".join(lines) + "\n"


class Renamer(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node):
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node

    def visit_keyword(self, node):          # keyword arguments of the file's own functions follow their parameters
        if node.arg in self.mapping and node.arg in self.local_parameters:
            node.arg = self.mapping[node.arg]
        self.generic_visit(node)
        return node

    def visit_alias(self, node):
        if node.asname:
            node.asname = self.mapping.get(node.asname, node.asname)
        return node


def defined_names(tree):
    names, parameters = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
            parameters.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias) and node.asname:
            names.add(node.asname)
    return names - API - set(dir(builtins)) - {"self"}, parameters


def fresh_name(rng, taken):
    while True:
        name = rng.choice(WORDS) + rng.choice(("", "_", "2", "_" + rng.choice(WORDS), str(rng.randint(0, 9))))
        if name not in taken and not name.startswith("_"):
            taken.add(name)
            return name


def restructure(source, rng, fillers=0):
    """Rename (most) identifiers, reorder the top-level functions, rewrite or drop docstrings, insert `fillers`
    harmless statements; through the AST (ast.unparse), so the layout changes too."""
    tree = ast.parse(source)
    names, parameters = defined_names(tree)
    taken = set(names) | API | set(dir(builtins))
    mapping = {name: fresh_name(rng, taken) for name in sorted(names) if rng.random() < 0.85}
    renamer = Renamer(mapping)
    renamer.local_parameters = parameters
    tree = renamer.visit(tree)
    functions = [i for i, node in enumerate(tree.body) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    shuffled = [tree.body[i] for i in functions]
    rng.shuffle(shuffled)
    for i, node in zip(functions, shuffled):
        tree.body[i] = node
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Module)) and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(getattr(node.body[0], "value", None), ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            if rng.random() < 0.5 and len(node.body) > 1:
                node.body.pop(0)
            else:
                node.body[0].value.value = rng.choice(COMMENTS).lstrip("# ").capitalize() + "."
    bodies = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    for _ in range(fillers):
        if not bodies:
            break
        body = rng.choice(bodies).body
        body.insert(rng.randint(0, max(0, len(body) - 1)), ast.parse(rng.choice(FILLERS)).body[0])
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def disguise(source, strength, rng):
    if strength == "light":
        return reword_comments(source, rng)
    fillers = rng.randint(2, 5) if strength == "heavy" else 0
    return reword_comments(restructure(source, rng, fillers), rng)


# -- the class ----------------------------------------------------------------------------------------------------

def make_class(folder, size=240, seed=1, stencils=6):
    """Write `size` submissions (folders holding convolution.py) into `folder`; returns {name: family}."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    originals = families()
    names = sorted(originals)
    truth = {}
    stencil_source = (ROOT / "stencil" / "convolution.py").read_text()
    for number in range(size):
        if number < stencils:
            family, source = STENCIL, stencil_source
        else:
            family = names[number % len(names)]
            strength = rng.choice(("light", "medium", "heavy"))
            source = disguise(rng.choice(originals[family]), strength, rng)
        name = f"s{number:04d}"
        (folder / name).mkdir()
        (folder / name / "convolution.py").write_text(source)
        truth[name] = family
    return truth


def precision_recall(pairs, truth):
    """(precision, recall, true positives, flagged, actual copy pairs) of the flagged pairs against the truth."""
    flagged = {(pair.a.name, pair.b.name) for pair in pairs if pair.flagged}
    members = {}
    for name, family in truth.items():
        members.setdefault(family, []).append(name)
    actual = sum(len(group) * (len(group) - 1) // 2 for family, group in members.items() if family != STENCIL)
    true_positives = sum(truth[a] == truth[b] != STENCIL for a, b in flagged)
    precision = true_positives / len(flagged) if flagged else 1.0
    recall = true_positives / actual if actual else 1.0
    return precision, recall, true_positives, len(flagged), actual


def measure(size=240, seed=1, threshold=None, out=None):
    """Generate, report (into `out`, else a temporary folder) and score; a dict of the figures."""
    from autograder import similarity
    threshold = similarity.THRESHOLD if threshold is None else threshold
    scratch = Path(tempfile.mkdtemp(prefix="cnn-synthetic-class-"))
    try:
        truth = make_class(scratch / "class", size, seed)
        started = time.monotonic()
        submissions = similarity.load(similarity.named_submissions([scratch / "class"]))
        loaded = time.monotonic() - started
        pairs, seconds, _ = similarity.report(submissions, Path(out) if out else scratch, threshold)
        precision, recall, hits, flagged, actual = precision_recall(pairs, truth)
        false = [pair for pair in pairs if pair.flagged and truth[pair.a.name] != truth[pair.b.name]]
        return {"submissions": size, "seed": seed, "threshold": threshold, "precision": precision,
                "recall": recall, "true_positives": hits, "flagged": flagged, "copy_pairs": actual,
                "stage_seconds": loaded, "compare_seconds": seconds,
                "false_positives": [(p.a.name, truth[p.a.name], p.b.name, truth[p.b.name], p.score)
                                    for p in false[:10]]}
    finally:
        if out:
            shutil.copytree(scratch / "class", Path(out) / "synthetic-class", dirs_exist_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)


def main_measure(size, seed, threshold, out):
    figures = measure(size, seed, threshold, out)
    print(f"synthetic class: {figures['submissions']} submissions (seed {figures['seed']}), "
          f"{figures['copy_pairs']} copy pairs")
    print(f"threshold {figures['threshold']:.0%}: {figures['flagged']} pairs flagged, {figures['true_positives']} "
          f"of them copies: precision {figures['precision']:.3f}, recall {figures['recall']:.3f}")
    print(f"time: {figures['stage_seconds']:.2f} s to stage and read, {figures['compare_seconds']:.2f} s to "
          "fingerprint, compare and write the report")
    for a, family_a, b, family_b, score in figures["false_positives"]:
        print(f"  false positive: {a} ({family_a}) / {b} ({family_b}): {score:.0%}")
    return 0


# -- real public code -----------------------------------------------------------------------------------------------
# tests/similarity_real/manifest.json names every submission's source (repository, path, commit), each course's
# given code and the true copy pairs, found by reading the code before the tool ran on the set.

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def real_set(folder):
    """(manifest, {name: path}, [base files], {frozenset pair}) of the real-code set in `folder`."""
    import json
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    named = {entry["name"]: folder / entry["name"] for entry in manifest["submissions"]}
    base = [str(folder / path) for course in manifest["courses"].values() for path in course["base"]]
    copies = {frozenset(pair[:2]) for pair in manifest["copies"]}
    return manifest, named, base, copies


def table(scores, copies, thresholds=THRESHOLDS):
    """[(threshold, flagged, true positives, precision, recall)] from {frozenset pair: score or None (not judged)}."""
    rows = []
    for threshold in thresholds:
        flagged = {pair for pair, score in scores.items() if score is not None and score >= threshold}
        hits = len(flagged & copies)
        rows.append((threshold, len(flagged), hits, hits / len(flagged) if flagged else 1.0,
                     hits / len(copies) if copies else 1.0))
    return rows


def tool_scores(named, base, settings, functions=True):
    """{frozenset pair: score (None when not judged)} of this project's report on the set."""
    from autograder import similarity
    submissions = similarity.load(named)
    similarity.fingerprint_all(submissions, base, settings["common_share"], settings["common_at_least"],
                               functions=functions)
    pairs = similarity.compare(submissions, min_fingerprints=settings["min_fingerprints"], floor=0)
    return {frozenset((pair.a.name, pair.b.name)): pair.score if pair.best.judged else None for pair in pairs}


def copydetect_scores(named, base):
    """{frozenset pair: score} from copydetect (if it is importable): a pair's score is the larger of its two
    similarities, as copydetect's report flags a pair when either reaches display_t; base files as boilerplate.
    None when copydetect is not installed."""
    try:
        from copydetect import CopyDetector
    except ImportError:
        return None
    boilerplate = sorted({str(Path(path).parent) for path in base})
    files = {str(path / "convolution.py"): name for name, path in named.items()}
    detector = CopyDetector(test_dirs=[str(path) for path in named.values()], boilerplate_dirs=boilerplate,
                            extensions=["py"], display_t=0.0, silent=True, autoopen=False)
    detector.run()
    scores = {}
    for i, test in enumerate(detector.test_files):
        for j, ref in enumerate(detector.ref_files):
            a, b = files.get(str(test)), files.get(str(ref))
            if a and b and a != b:
                score = float(max(detector.similarity_matrix[i, j]))
                key = frozenset((a, b))
                scores[key] = max(score, scores.get(key, 0.0))
    return scores


def main_evaluate(folder, settings):
    """`similarity --evaluate`: precision and recall per threshold on the real-code set, for this report (as
    configured), the same without given code or function units (what each contributes), and copydetect."""
    manifest, named, base, copies = real_set(folder)
    courses = sorted(manifest["courses"])
    print(f"real public code: {len(named)} submissions from {len(courses)} courses' stencils ({', '.join(courses)}), "
          f"{len(copies)} true copy pairs of {len(named) * (len(named) - 1) // 2}; base files: {len(base)}")
    methods = [("this report", tool_scores(named, base, settings)),
               ("  without function units", tool_scores(named, base, settings, functions=False)),
               ("  without base files", tool_scores(named, (), settings)),
               ("  neither (the report before issue 22)", tool_scores(named, (), {**settings, "common_share": 0.5},
                                                                      functions=False))]
    detected = copydetect_scores(named, base)
    if detected is None:
        print("(copydetect is not installed: its row is left out; `pip install copydetect==0.5.0` elsewhere to compare)")
    else:
        methods.append(("copydetect 0.5.0 (base as boilerplate)", detected))
    print(f"\n| method | threshold | flagged | true copies flagged | precision | recall |")
    print("|---|---|---|---|---|---|")
    for label, scores in methods:
        for threshold, flagged, hits, precision, recall in table(scores, copies):
            mark = " **(default)**" if label == "this report" and abs(threshold - settings["threshold"]) < 1e-9 else ""
            print(f"| {label} | {threshold:.1f}{mark} | {flagged} | {hits} | {precision:.3f} | {recall:.3f} |")
    scores = methods[0][1]
    threshold = settings["threshold"]
    missed = sorted(pair for pair in copies if (scores.get(pair) or 0) < threshold)
    false = sorted((pair for pair, score in scores.items()
                    if score is not None and score >= threshold and pair not in copies), key=lambda p: -scores[p])
    print(f"\nat the default threshold {threshold}:")
    for pair in missed:
        print(f"  missed copy: {' / '.join(sorted(pair))} (score {scores.get(pair)})")
    for pair in false:
        print(f"  false positive: {' / '.join(sorted(pair))} (score {scores[pair]:.2f})")
    return 0
