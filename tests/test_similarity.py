"""The similarity report: disguised copies found, different code and untouched stencils not, the stencil's given
code subtracted, student text escaped on the pages, and precision/recall on a small synthetic class."""
import csv
import subprocess
import sys

from autograder import similarity, synthetic_class
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
