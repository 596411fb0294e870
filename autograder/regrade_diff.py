"""What a regrade changes, before anyone sees it: compare two output folders of `grade` for the same class.

    python -m autograder diff OLD_OUT NEW_OUT [--out DIR]

Reads each submission's grader.json (OLD_OUT/<name>/grader.json; a submission with only a row in grades.csv, such as
a merged folder, is read from there, without messages). Prints, as Markdown: the totals' distribution before and
after (count, min, median, mean, max, full marks, and a histogram in tenths of the maximum), then every submission
whose score, status or flags changed, part by part, with the old and the new message of each changed part; then the
submissions found on one side only. With --out, also writes DIR/regrade-diff.md and DIR/regrade-diff.csv (one row per
changed part). Messages are shown as literal text (they can quote student output).
"""
import csv
import json
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.report import markdown_text, spreadsheet_cell


@dataclass
class Graded:
    name: str
    score: float
    max_score: float
    status: str
    flags: list = field(default_factory=list)
    parts: dict = field(default_factory=dict)      # number -> (name, score, max_score, output)
    version: str = ""


def from_grader_json(path):
    data = json.loads(Path(path).read_text())
    parts = {}
    for test in data.get("tests", []):
        parts[str(test.get("number"))] = (test.get("name", ""), float(test.get("score", 0)),
                                          float(test.get("max_score", 0)), test.get("output", ""))
    return Graded(name=data.get("name", Path(path).parent.name), status=data.get("status", ""),
                  score=round(sum(p[1] for p in parts.values()), 4),
                  max_score=round(sum(p[2] for p in parts.values()), 4), flags=list(data.get("flags", [])),
                  parts=parts, version=data.get("autograder_version", ""))


def from_csv_row(row):
    parts = {}
    for column, value in row.items():
        match = re.match(r"^(\d+(?:\.\d+)*) (.*)$", column or "")
        if match and value not in ("", None):
            parts[match.group(1)] = (match.group(2), float(value), float("nan"), "")
    return Graded(name=row["submission"].lstrip("'"), score=float(row.get("score") or 0),
                  max_score=float(row.get("max_score") or 0), status=row.get("status", ""),
                  flags=(row.get("flags") or "").split(), parts=parts)


def load_folder(out_dir):
    """{name: Graded} of a grading's output folder."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SystemExit(f"diff: no output folder at {out_dir}")
    found = {}
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir()):
        if (folder / "grader.json").is_file():
            try:
                graded = from_grader_json(folder / "grader.json")
            except (ValueError, OSError, TypeError) as error:
                print(f"diff: skipped {folder / 'grader.json'}: {error}", file=sys.stderr)
                continue
            found[folder.name] = graded
    grades = out_dir / "grades.csv"
    if grades.is_file():
        with open(grades, newline="") as stream:
            for row in csv.DictReader(stream):
                name = (row.get("submission") or "").lstrip("'")
                if name and name not in found and row.get("status") != "pending":
                    found[name] = from_csv_row(row)
    return found


def distribution(results):
    graded = [r for r in results if r.status == "graded"]
    totals = [r.score for r in graded]
    if not totals:
        return {"graded": 0}
    top = max(r.max_score for r in graded) or 1
    histogram = [0] * 10
    for total in totals:
        histogram[min(9, int(total / top * 10))] += 1
    return {"graded": len(totals), "errors": sum(r.status == "error" for r in results), "min": min(totals),
            "median": statistics.median(totals), "mean": statistics.mean(totals), "max": max(totals),
            "full": sum(r.score >= r.max_score for r in graded), "top": top, "histogram": histogram}


def literal(text):
    """Text shown verbatim in Markdown: a fenced block whose fence is longer than any backtick run inside."""
    text = str(text).strip() or "(no message)"
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


name_text = markdown_text      # a submission's name, as literal Markdown


def changed_parts(old, new):
    """[(number, name, old score, new score, old message, new message)] of the parts whose score changed."""
    rows = []
    for number in sorted(set(old.parts) | set(new.parts), key=lambda n: [int(x) for x in n.split(".")]):
        before, after = old.parts.get(number), new.parts.get(number)
        old_score = before[1] if before else None
        new_score = after[1] if after else None
        if old_score is None or new_score is None or abs(old_score - new_score) > 1e-9:
            rows.append((number, (after or before)[0], old_score, new_score, before[3] if before else "",
                         after[3] if after else ""))
    return rows


def compare(old, new):
    """(changed [(name, old, new, parts)], only_old [names], only_new [names])."""
    changed = []
    for name in sorted(set(old) & set(new)):
        a, b = old[name], new[name]
        parts = changed_parts(a, b)
        if parts or a.status != b.status or sorted(a.flags) != sorted(b.flags) or abs(a.score - b.score) > 1e-9:
            changed.append((name, a, b, parts))
    return changed, sorted(set(old) - set(new)), sorted(set(new) - set(old))


def number(value):
    return "—" if value is None else f"{value:g}"


def markdown(old_dir, new_dir, old, new):
    changed, only_old, only_new = compare(old, new)
    before, after = distribution(old.values()), distribution(new.values())
    versions = lambda results: ", ".join(sorted({r.version for r in results if r.version})) or "?"
    lines = [f"# Regrade: {name_text(old_dir)} -> {name_text(new_dir)}", "",
             f"Autograder before: {versions(old.values())}; after: {versions(new.values())}.", "",
             f"{len(changed)} of {len(set(old) & set(new))} submissions changed "
             f"({sum(b.score > a.score for _, a, b, _ in changed)} up, "
             f"{sum(b.score < a.score for _, a, b, _ in changed)} down); {len(only_old)} only before, "
             f"{len(only_new)} only after.", "", "## Totals", "",
             "| | graded | errors | min | median | mean | max | full marks |", "|---|---|---|---|---|---|---|---|"]
    for label, d in (("before", before), ("after", after)):
        if d["graded"]:
            lines.append(f"| {label} | {d['graded']} | {d['errors']} | {d['min']:g} | {d['median']:g} | "
                         f"{d['mean']:.1f} | {d['max']:g} | {d['full']} |")
        else:
            lines.append(f"| {label} | 0 | | | | | | |")
    if before["graded"] or after["graded"]:
        top = max(d.get("top", 0) for d in (before, after))
        lines += ["", "| total | before | after |", "|---|---|---|"]
        for tenth in range(10):
            low, high = top * tenth / 10, top * (tenth + 1) / 10
            span = f"{low:g}–{high:g}" + (" (incl.)" if tenth == 9 else "")
            lines.append(f"| {span} | {before.get('histogram', [0] * 10)[tenth]} | "
                         f"{after.get('histogram', [0] * 10)[tenth]} |")
    lines.append("")
    if changed:
        lines += ["## Changed submissions", ""]
        for name, a, b, parts in sorted(changed, key=lambda item: (item[2].score - item[1].score, item[0])):
            lines += [f"### {name_text(name)}: {a.score:g} -> {b.score:g} ({b.score - a.score:+g})", ""]
            if a.status != b.status:
                lines.append(f"- status: {a.status} -> {b.status}")
            if sorted(a.flags) != sorted(b.flags):
                lines.append(f"- flags: {', '.join(a.flags) or 'none'} -> {', '.join(b.flags) or 'none'}")
            for part, part_name, old_score, new_score, old_message, new_message in parts:
                lines += [f"- **{part} {name_text(part_name)}**: {number(old_score)} -> {number(new_score)}", "",
                          "  before:", "", indent(literal(old_message)), "", "  after:", "",
                          indent(literal(new_message)), ""]
            lines.append("")
    for label, names in (("Only before", only_old), ("Only after", only_new)):
        if names:
            lines += [f"## {label}", ""] + [f"- {name_text(n)}" for n in names] + [""]
    return "\n".join(lines), changed


def indent(text):
    return "\n".join("  " + line for line in text.split("\n"))


def write_csv(changed, path):
    def cell(value):
        return "" if value is None else spreadsheet_cell(str(value))
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["submission", "part", "name", "old_score", "new_score", "delta", "old_total", "new_total"])
        for name, a, b, parts in changed:
            for part, part_name, old_score, new_score, _, _ in parts or [("", "", None, None, "", "")]:
                delta = "" if old_score is None or new_score is None else round(new_score - old_score, 4)
                writer.writerow([cell(name), part, cell(part_name), "" if old_score is None else old_score,
                                 "" if new_score is None else new_score, delta, a.score, b.score])


def add_arguments(parser):
    parser.add_argument("old", help="the earlier grading's output folder")
    parser.add_argument("new", help="the new grading's output folder")
    parser.add_argument("--out", help="also write regrade-diff.md and regrade-diff.csv here")


def main(argv=None):
    """`python -m autograder diff` as a function of its words."""
    from autograder.__main__ import main as command_line
    return command_line(["diff", *(sys.argv[1:] if argv is None else argv)])


def run(args):
    """`python -m autograder diff`, from its parsed arguments."""
    old, new = load_folder(args.old), load_folder(args.new)
    text, changed = markdown(args.old, args.new, old, new)
    print(text)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "regrade-diff.md").write_text(text)
        write_csv(changed, Path(args.out) / "regrade-diff.csv")
    return 0
