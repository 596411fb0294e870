"""The similarity report's outputs (autograder/similarity.py finds the pairs): similarity.csv, one side-by-side HTML
page per flagged pair with the matching lines highlighted, and a section of summary.md. Everything from a submission
is escaped: file contents and names are the students' text."""
import csv
import html
import re

from autograder.report import markdown_text, spreadsheet_cell

def spreadsheet_text(value):
    """A CSV cell a spreadsheet shows as text (report.spreadsheet_cell: OWASP's rule)."""
    return spreadsheet_cell(str(value))


def line_ranges(lines):
    """[3, 4, 5, 9] -> "3-5, 9"."""
    ranges, start, last = [], None, None
    for line in lines:
        if start is None:
            start = last = line
        elif line == last + 1:
            last = line
        else:
            ranges.append((start, last))
            start = last = line
    if start is not None:
        ranges.append((start, last))
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in ranges)


def matched_text(lines_by_file):
    return "; ".join(f"{file_name}: {line_ranges(lines)}" for file_name, lines in sorted(lines_by_file.items()))


def write_csv(pairs, path):
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["submission_a", "submission_b", "score", "shared_fingerprints", "fingerprints_a",
                         "fingerprints_b", "matched_lines_a", "matched_lines_b", "flagged", "earlier", "page"])
        for pair in pairs:
            writer.writerow([spreadsheet_text(pair.a.name), spreadsheet_text(pair.b.name), pair.score, pair.shared,
                             len(pair.a.prints), len(pair.b.prints), spreadsheet_text(matched_text(pair.lines("a"))),
                             spreadsheet_text(matched_text(pair.lines("b"))), "yes" if pair.flagged else "",
                             "yes" if pair.a.earlier or pair.b.earlier else "", pair.page])


PAGE_STYLE = """body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;width:100%}
td{vertical-align:top;width:50%;padding:0 .5em}pre{font-size:12px;line-height:1.35;margin:0;white-space:pre-wrap}
.n{color:#888;user-select:none}.m{background:#ffe08a}h2{font-size:1em;margin:.8em 0 .3em}"""


def render_file(source, lines):
    """A file as escaped HTML lines, the matched ones highlighted."""
    matched = set(lines)
    rows = []
    for number, text in enumerate(source.splitlines(), start=1):
        body = html.escape(text, quote=True)
        rows.append(f'<span class="n">{number:4d} </span>'
                    + (f'<span class="m">{body}</span>' if number in matched else body))
    return "<pre>" + "\n".join(rows) + "</pre>"


def page(pair, threshold):
    """One flagged pair side by side. Every character from the submissions is escaped; no scripts may run."""
    a_lines, b_lines = pair.lines("a"), pair.lines("b")
    files = sorted(set(pair.a.sources) | set(pair.b.sources))
    title = f"{pair.a.name} / {pair.b.name}: {pair.score:.0%}"
    rows = []
    for file_name in files:
        cells = []
        for submission, lines in ((pair.a, a_lines), (pair.b, b_lines)):
            source = submission.sources.get(file_name)
            cells.append(render_file(source, lines.get(file_name, ())) if source is not None else "<p>(no file)</p>")
        rows.append(f"<tr><td><h2>{html.escape(pair.a.name)} — {html.escape(file_name)}</h2>{cells[0]}</td>"
                    f"<td><h2>{html.escape(pair.b.name)} — {html.escape(file_name)}</h2>{cells[1]}</td></tr>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{pair.shared} shared fingerprints; {html.escape(pair.a.name)} has "
            f"{len(pair.a.prints)}, {html.escape(pair.b.name)} {len(pair.b.prints)} of its own (the stencil's given "
            f"code excluded); flagged at {threshold:.0%}. Highlighted: lines in a run of tokens both share after "
            "renaming, comments and layout are ignored. Similar code is a reason to look, not proof.</p>"
            f"<table>{''.join(rows)}</table></body></html>\n")


SECTION = "## Similarity"


def summary_section(pairs, submissions, threshold, seconds, top=10):
    flagged = [pair for pair in pairs if pair.flagged]
    unread = [s for s in submissions if s.problem]
    lines = [SECTION, "",
             f"{sum(not s.earlier for s in submissions)} submissions compared"
             f"{f' (and {sum(s.earlier for s in submissions)} earlier ones)' if any(s.earlier for s in submissions) else ''}"
             f" in {seconds:.1f} s: {len(flagged)} pairs at or above {threshold:.0%} (similarity.csv; a side-by-side "
             "page per flagged pair in similarity/).", ""]
    if flagged:
        lines += ["| pair | score | matched lines | page |", "|---|---|---|---|"]
        for pair in flagged[:top]:
            earlier = " (earlier)" if pair.b.earlier or pair.a.earlier else ""
            lines.append(f"| {markdown_text(pair.a.name)} / {markdown_text(pair.b.name)}{earlier} | "
                         f"{pair.score:.0%} | {matched_text(pair.lines('a'))} | "
                         f"[page]({pair.page}) |")
        lines.append("")
    if unread:
        lines += ["Not compared (could not be read): " + ", ".join(markdown_text(s.name) for s in unread), ""]
    return "\n".join(lines)


def append_section(summary_path, section):
    """summary.md with its Similarity section replaced by `section` (appended when there is none yet); the grading's
    own sections are kept as they are."""
    text = summary_path.read_text() if summary_path.exists() else "# Grading summary\n"
    marker = "\n" + SECTION + "\n"
    if marker in text:
        before, after = text.split(marker, 1)
        following = re.search(r"^## ", after, re.MULTILINE)
        text = before + ("\n" + after[following.start():] if following else "")
    summary_path.write_text(text.rstrip("\n") + "\n\n" + section)
