"""The similarity report: disguised copies found, different code and untouched stencils not, the stencil's given
code subtracted, student text escaped on the pages, and precision/recall on a small synthetic class."""
import csv
import subprocess
import sys

from pathlib import Path

from autograder import similarity, similarity_report, synthetic_class
from conftest import ROOT, STENCIL

CATALOGUE = ROOT / "tests" / "catalogue"
EINSUM = (CATALOGUE / "correct" / "window_einsum" / "convolution.py").read_text()
IM2COL = (CATALOGUE / "correct" / "im2col_one_matmul" / "convolution.py").read_text()


def score(source_a, source_b, **options):
    submissions = [similarity.Submission("a", {"convolution.py": source_a}),
                   similarity.Submission("b", {"convolution.py": source_b})]
    similarity.fingerprint_all(submissions, common_share=0)
    pairs = similarity.compare(submissions, floor=0, **options)
    return pairs[0] if pairs else None


def test_renamed_reordered_recommented_copy_scores_as_the_original():
    import random
    disguised = synthetic_class.disguise(EINSUM, "medium", random.Random(3))
    assert "sliding_window_view" in disguised and disguised != EINSUM
    pair = score(EINSUM, disguised)
    assert pair.flagged and pair.score >= 0.9


def test_comments_and_layout_change_nothing():
    tokens = [t.text for t in similarity.normalised_tokens(EINSUM, "convolution.py")]
    reworded = EINSUM.replace("    x = np.pad(x, pads)", "    # pad it\n\n    x = np.pad( x,pads )  # padded")
    assert [t.text for t in similarity.normalised_tokens(reworded, "convolution.py")] == tokens


def test_different_implementations_are_not_flagged():
    pair = score(EINSUM, IM2COL)
    assert pair is None or (not pair.flagged and pair.score < 0.3)


def test_untouched_stencils_are_not_flagged():
    stencil = (STENCIL / "convolution.py").read_text()
    pair = score(stencil, stencil)
    assert pair is None or not pair.flagged


def test_report_on_folders_escapes_student_text(tmp_path):
    hostile = '"""</pre><script>alert(1)</script>"""\n' + EINSUM + "\n# <img src=x onerror=alert(2)>\n"
    for name, source in (("alice<script>", hostile), ("bob", EINSUM), ("carol", IM2COL)):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "convolution.py").write_text(source)
    out = tmp_path / "out"
    (out).mkdir()
    (out / "summary.md").write_text("# Grading summary\n\nscores\n\n## Flagged submissions\n\n- x\n")
    completed = subprocess.run([sys.executable, "-m", "autograder", "similarity", str(tmp_path / "class"),
                                "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    rows = list(csv.DictReader(open(out / "similarity.csv")))
    flagged = [row for row in rows if row["flagged"] == "yes"]
    assert [(row["submission_a"], row["submission_b"]) for row in flagged] == [("alice<script>", "bob")]
    assert "convolution.py:" in flagged[0]["matched_lines_b"]
    page = (out / flagged[0]["page"]).read_text()
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert 'class="r0"' in page and "Content-Security-Policy" in page
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Grading summary\n\nscores\n\n## Flagged submissions\n\n- x\n")
    assert "alice\\<script\\>" in summary and "<script>" not in summary
    # running again replaces the section instead of adding a second one
    subprocess.run([sys.executable, "-m", "autograder", "similarity", str(tmp_path / "class"), "--out", str(out)],
                   cwd=ROOT, capture_output=True, check=True, timeout=120)
    assert (out / "summary.md").read_text().count("## Similarity") == 1


def test_against_earlier_terms_compares_with_the_class_only(tmp_path):
    for folder, name, source in (("now", "dan", EINSUM), ("then", "old1", EINSUM), ("then", "old2", EINSUM)):
        (tmp_path / folder / name).mkdir(parents=True)
        (tmp_path / folder / name / "convolution.py").write_text(source)
    submissions = similarity.load(similarity.named_submissions([tmp_path / "now"]))
    submissions += similarity.load({f"earlier:{n}": p for n, p in
                                    similarity.named_submissions([tmp_path / "then"]).items()}, earlier=True)
    pairs, _, _ = similarity.report(submissions, tmp_path / "out")
    assert sorted((p.a.name, p.b.name) for p in pairs if p.flagged) == [("dan", "earlier:old1"), ("dan", "earlier:old2")]


def test_synthetic_class_precision_and_recall():
    figures = synthetic_class.measure(size=70, seed=5)
    assert figures["precision"] >= 0.95 and figures["recall"] >= 0.9, figures


# -- given code, files and functions scored apart, the common-code rule ----------------------------------------------

def write_class(folder, sources):
    for name, files in sources.items():
        (folder / name).mkdir(parents=True)
        for file_name, text in files.items():
            (folder / name / file_name).write_text(text)


def run_similarity(*words, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", "similarity", *map(str, words)], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


# A course's given code: long enough to make two otherwise different solutions look alike.
HANDOUT = "def given_check(conv, np):\n    \"\"\"The course's own test: DO NOT EDIT.\"\"\"\n" + "".join(
    f"    image_{i} = np.arange({i + 9}).reshape(1, 3, 3, 1).astype(np.float32) * {i + 1}\n"
    f"    kernel_{i} = np.ones((2, 2, 1, 1), dtype=np.float32) - {i}\n"
    f"    print('case {i}', conv(image_{i}, kernel_{i}, [1, 1, 1, 1], 'VALID').sum(), image_{i}.mean())\n"
    for i in range(8))


def test_base_code_is_subtracted_and_said(tmp_path):
    write_class(tmp_path / "class", {"ann": {"convolution.py": HANDOUT + "\n" + EINSUM},
                                     "ben": {"convolution.py": HANDOUT + "\n" + IM2COL}})
    (tmp_path / "handout").mkdir()
    (tmp_path / "handout" / "convolution.py").write_text(HANDOUT)
    without = run_similarity(tmp_path / "class", "--out", tmp_path / "without")
    assert without.returncode == 0, without.stderr
    assert any(row["flagged"] for row in csv.DictReader(open(tmp_path / "without" / "similarity.csv")))
    with_base = run_similarity(tmp_path / "class", "--out", tmp_path / "with", "--base", tmp_path / "handout")
    assert with_base.returncode == 0, with_base.stderr
    assert not any(row["flagged"] for row in csv.DictReader(open(tmp_path / "with" / "similarity.csv")))
    summary = (tmp_path / "with" / "summary.md").read_text()
    assert "1 base file" in summary and "not counted" in summary and "1 base file(s)" in with_base.stdout


def test_base_code_comes_from_the_course_config(tmp_path):
    write_class(tmp_path / "class", {"ann": {"convolution.py": HANDOUT + "\n" + EINSUM},
                                     "ben": {"convolution.py": HANDOUT + "\n" + IM2COL}})
    (tmp_path / "course" / "given").mkdir(parents=True)
    (tmp_path / "course" / "given" / "convolution.py").write_text(HANDOUT)
    (tmp_path / "course" / "course.toml").write_text('[similarity]\nbase = ["given"]\n')   # relative to the file
    completed = run_similarity(tmp_path / "class", "--out", tmp_path / "out", "--config",
                               tmp_path / "course" / "course.toml")
    assert completed.returncode == 0, completed.stderr
    assert not any(row["flagged"] for row in csv.DictReader(open(tmp_path / "out" / "similarity.csv")))
    assert "1 base file(s)" in completed.stdout


def test_a_wrong_base_stops_before_anything_is_written(tmp_path):
    write_class(tmp_path / "class", {"ann": {"convolution.py": EINSUM}, "ben": {"convolution.py": EINSUM}})
    completed = run_similarity(tmp_path / "class", "--out", tmp_path / "out", "--base", tmp_path / "missing")
    assert completed.returncode == 2 and "base code" in completed.stderr
    assert not (tmp_path / "out").exists()


def test_a_copied_function_among_own_code_is_flagged_and_named():
    own_a = IM2COL.replace("conv2d", "my_conv_a")
    own_b = (CATALOGUE / "correct" / "offsets_matmul" / "convolution.py").read_text().replace("conv2d", "my_conv_b")
    submissions = [similarity.Submission("a", {"convolution.py": EINSUM + "\n" + own_a}),
                   similarity.Submission("b", {"convolution.py": own_b + "\n" + EINSUM})]
    similarity.fingerprint_all(submissions, common_share=0)
    pair = similarity.compare(submissions, floor=0)[0]
    assert pair.flagged and pair.best.file_a.startswith("convolution.py:") and pair.best.file_a.endswith("()")
    file_level = [m for m in pair.matches if m.file_a == m.file_b == "convolution.py"][0]
    assert pair.score > file_level.score         # the whole files alone would have diluted the copy
    similarity.fingerprint_all(submissions, common_share=0, functions=False)
    assert similarity.compare(submissions, floor=0)[0].score == file_level.score


def test_common_code_rule_follows_the_class_size():
    idiom = "\n".join(f"def shared_idiom_{i}(x):\n    return [v * {i} + 1 for v in x if v > {i}]\n" for i in range(8))
    own = [(CATALOGUE / "mistakes" / name / "convolution.py").read_text()
           for name in sorted(p.name for p in (CATALOGUE / "mistakes").iterdir())]
    large = [similarity.Submission(f"s{i}", {"convolution.py": idiom + "\n" + own[i % len(own)]}) for i in range(24)]
    code = similarity.fingerprint_all(large, common_share=0.2, common_at_least=10)
    idiom_prints = set(similarity.source_prints(idiom, "convolution.py"))
    assert code.common_limit == 10 and idiom_prints <= code.common
    assert not any(idiom_prints & set(s.prints["convolution.py"]) for s in large)
    small = large[:12]                          # smaller than 2 x common_at_least: nothing is common
    code = similarity.fingerprint_all(small, common_share=0.2, common_at_least=10)
    assert code.common_limit == 0 and not code.common and "too small" in similarity_report.filters_text(code)


# -- evidence first: pages, the index, notebooks ----------------------------------------------------------------------

def test_index_lists_pairs_with_the_files_that_carry_them(tmp_path):
    write_class(tmp_path / "class", {"ann<b>": {"convolution.py": EINSUM}, "ben": {"convolution.py": EINSUM},
                                     "cat": {"convolution.py": IM2COL}})
    completed = run_similarity(tmp_path / "class", "--out", tmp_path / "out")
    assert completed.returncode == 0, completed.stderr
    index = (tmp_path / "out" / "similarity" / "index.html").read_text()
    assert "ann&lt;b&gt;" in index and "<b>" not in index and "convolution.py / convolution.py" in index
    assert 'href="pair-0001.html"' in index and "Content-Security-Policy" in index
    page = (tmp_path / "out" / "similarity" / "pair-0001.html").read_text()
    assert 'href="#f0a-r1"' in page and 'id="f0a-r1"' in page and 'id="f0b-r1"' in page


def test_notebook_lines_are_shown_as_cells(tmp_path):
    import nbformat
    cells = [nbformat.v4.new_markdown_cell("# My convolution"), nbformat.v4.new_code_cell("import numpy as np"),
             nbformat.v4.new_code_cell(EINSUM.replace("import numpy as np\n", ""))]
    notebook = nbformat.v4.new_notebook(cells=cells)
    (tmp_path / "class").mkdir()
    nbformat.write(notebook, str(tmp_path / "class" / "dana.ipynb"))
    write_class(tmp_path / "class", {"eve": {"convolution.py": EINSUM}})
    completed = run_similarity(tmp_path / "class", "--out", tmp_path / "out")
    assert completed.returncode == 0, completed.stderr
    row = [row for row in csv.DictReader(open(tmp_path / "out" / "similarity.csv")) if row["flagged"]][0]
    dana_side = "a" if row["submission_a"] == "dana" else "b"
    assert row[f"file_{dana_side}"].startswith("dana.ipynb") and "convolution.py" not in row[f"file_{dana_side}"]
    assert "cell 3 line" in row[f"matched_lines_{dana_side}"]
    page = (tmp_path / "out" / row["page"]).read_text()
    assert "── cell 3 ──" in page and "cell 3 line 1" in page


def test_a_grading_output_folder_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "graded"
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "grader.json").write_text("{}")
    (out / "grades.csv").write_text("name,score\nalice,10\n")
    (out / "summary.md").write_text("# Grading summary\n")
    before = sorted(path.relative_to(out) for path in out.rglob("*"))
    completed = run_similarity(out)
    assert completed.returncode == 2
    assert "grading's output folder" in completed.stderr and f"--out {out}" in completed.stderr
    assert sorted(path.relative_to(out) for path in out.rglob("*")) == before
    assert (out / "summary.md").read_text() == "# Grading summary\n"


def test_no_submissions_is_an_error_not_an_empty_report(tmp_path):
    (tmp_path / "empty").mkdir()
    completed = run_similarity(tmp_path / "empty", "--out", tmp_path / "out")
    assert completed.returncode == 2 and "no submissions found" in completed.stderr
    assert not (tmp_path / "out").exists()


# -- hostile input ----------------------------------------------------------------------------------------------------

def test_hostile_files_cost_bounded_work_and_never_fail_the_batch(tmp_path):
    nested = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"          # beyond the parser's nesting limit
    one_line = "y = [" + "1, " * 400_000 + "]\n"                      # ~800k tokens on one line
    assert similarity.function_spans(nested) == []
    tokens = similarity.normalised_tokens(one_line, "convolution.py")
    assert len(tokens) <= similarity.MAX_TOKENS
    write_class(tmp_path / "class", {"deep": {"convolution.py": nested + EINSUM},
                                     "long": {"convolution.py": one_line}, "ann": {"convolution.py": EINSUM}})
    submissions = similarity.load(similarity.named_submissions([tmp_path / "class"]))
    pairs, _, _ = similarity.report(submissions, tmp_path / "out")
    assert [(p.a.name, p.b.name) for p in pairs if p.flagged] == [("ann", "deep")]


# -- measured on real public code ---------------------------------------------------------------------------------------

REAL = ROOT / "tests" / "similarity_real"


def test_real_code_set_is_complete_and_sourced():
    manifest, named, base, copies = synthetic_class.real_set(REAL)
    assert len(named) >= 40 and len(manifest["courses"]) >= 2 and len(copies) >= 10
    assert all((path / "convolution.py").is_file() for path in named.values())
    assert all(Path(file).is_file() for file in base)
    assert all(entry["repository"].count("/") == 1 and entry["path"] and len(entry["commit"]) == 40
               for entry in manifest["submissions"])
    assert all(set(pair) <= set(named) for pair in copies)


def test_real_code_precision_and_recall_at_the_default_threshold():
    _, named, base, copies = synthetic_class.real_set(REAL)
    settings = {"threshold": similarity.THRESHOLD, "min_fingerprints": similarity.MIN_FINGERPRINTS,
                "common_share": similarity.COMMON_SHARE, "common_at_least": similarity.COMMON_AT_LEAST}
    [(_, flagged, hits, precision, recall)] = synthetic_class.table(
        synthetic_class.tool_scores(named, base, settings), copies, thresholds=[similarity.THRESHOLD])
    assert precision >= 0.8 and recall >= 0.9, (flagged, hits, precision, recall)
