"""The similarity report's outputs: similarity.csv, the class's index page, one side-by-side page per flagged pair,
and a section of summary.md. Everything from a submission is escaped: file contents and names are the students' text,
and the pages need no script (their Content-Security-Policy forbids any)."""
import csv
import html
import re

from autograder.report import markdown_text, spreadsheet_cell

# distinct, light backgrounds for matched regions (cycled); given and common code are grey
REGION_COLOURS = ("#ffe08a", "#b9e6ff", "#c8f0c0", "#ffc9de", "#e2d2ff", "#ffd3a8", "#c9f2ec", "#f2f0a8")
MAX_REGIONS_LISTED = 60      # jump links on a page (a hostile pair could have thousands of tiny regions)


def spreadsheet_text(value):
    """A CSV cell a spreadsheet shows as text (report.spreadsheet_cell: OWASP's rule)."""
    return spreadsheet_cell(str(value))


def line_ranges(lines):
    """[3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
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
    return ranges


def shown_ranges(submission, file_name, lines):
    """"3-5, 9" in a .py file; "cell 2 line 1-3, cell 4 line 2" in a notebook (cells as the student sees them)."""
    parts = []
    for first, last in line_ranges(lines):
        start, end = submission.where(file_name, first), submission.where(file_name, last)
        if start == end:
            parts.append(start)
        elif start.startswith("cell ") and start.rsplit(" ", 1)[0] == end.rsplit(" ", 1)[0]:
            parts.append(f"{start}-{end.rsplit(' ', 1)[1]}")
        else:
            parts.append(f"{start}-{end}")
    return ", ".join(parts)


def matched_text(submission, lines_by_file):
    return "; ".join(f"{file_name}: {shown_ranges(submission, file_name, lines)}"
                     for file_name, lines in sorted(lines_by_file.items()))


def carried_by(pair):
    """"convolution.py / conv.ipynb (83%)": the files whose match gives the pair its score."""
    best = pair.best
    return f"{best.file_a} / {best.file_b}"


def write_csv(pairs, path):
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["submission_a", "submission_b", "score", "file_a", "file_b", "shared_fingerprints",
                         "fingerprints_a", "fingerprints_b", "matched_lines_a", "matched_lines_b", "flagged",
                         "earlier", "page"])
        for pair in pairs:
            best = pair.best
            writer.writerow([spreadsheet_text(pair.a.name), spreadsheet_text(pair.b.name), pair.score,
                             spreadsheet_text(best.file_a), spreadsheet_text(best.file_b), best.shared,
                             pair.a.size(best.file_a), pair.b.size(best.file_b),
                             spreadsheet_text(matched_text(pair.a, pair.lines("a"))),
                             spreadsheet_text(matched_text(pair.b, pair.lines("b"))), "yes" if pair.flagged else "",
                             "yes" if pair.a.earlier or pair.b.earlier else "", pair.page])


PAGE_STYLE = """body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;width:100%}
td{vertical-align:top;width:50%;padding:0 .5em}pre{font-size:12px;line-height:1.35;margin:0;white-space:pre-wrap}
.n{color:#888;user-select:none}.g{background:#e6e6e6;color:#555}.h{color:#888;font-style:italic}
h2{font-size:1em;margin:.8em 0 .3em}th,td.c{text-align:left;padding:.2em .6em;border-bottom:1px solid #ddd}
.legend span{padding:0 .4em;margin-right:.6em}""" + "".join(
    f".r{i}{{background:{colour}}}" for i, colour in enumerate(REGION_COLOURS))
HEAD = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<title>{title}</title><style>" + PAGE_STYLE.replace("{", "{{").replace("}", "}}") + "</style></head><body>")


def render_file(submission, file_name, regions, side, prefix):
    """A file as escaped HTML lines: region i's lines in colour i with an anchor at its first line, given and common
    code grey, a notebook's cells headed by their number."""
    region_of = {}
    for number, region in enumerate(regions):
        first, last = (region[0], region[1]) if side == "a" else (region[2], region[3])
        for line in range(first, last + 1):
            region_of.setdefault(line, number)
    anchored = set()
    marks = submission.given.get(file_name, {})
    cell_starts = {first: number for first, number in submission.cells.get(file_name, ())}
    rows = []
    for number, text in enumerate(submission.sources[file_name].splitlines(), start=1):
        if number in cell_starts:
            rows.append(f'<span class="h">── cell {cell_starts[number]} ──</span>')
        body = html.escape(text, quote=True)
        label = html.escape(submission.where(file_name, number)) if cell_starts else f"{number:4d}"
        region = region_of.get(number)
        if region is not None:
            anchor = ""
            if region not in anchored:
                anchored.add(region)
                anchor = f' id="{prefix}{side}-r{region + 1}"'
            body = f'<span class="r{region % len(REGION_COLOURS)}"{anchor}>{body}</span>'
        elif number in marks:
            body = f'<span class="g" title="{marks[number]} code: not counted">{body}</span>'
        rows.append(f'<span class="n">{label} </span>{body}')
    return "<pre>" + "\n".join(rows) + "</pre>"


def page(pair, threshold):
    """One flagged pair: the strongest matching files first, side by side, with jump links to each matched region;
    then the other files. Every character from the submissions is escaped; no scripts may run."""
    a, b = html.escape(pair.a.name), html.escape(pair.b.name)
    title = f"{pair.a.name} / {pair.b.name}: {pair.score:.0%}"
    parts = [HEAD.format(title=html.escape(title)), f"<h1>{html.escape(title)}</h1>",
             f"<p>Carried by <b>{html.escape(pair.best.file_a)}</b> ({a}) and <b>{html.escape(pair.best.file_b)}</b> "
             f"({b}): {pair.best.shared} shared fingerprints, {pair.best.score:.0%} of the smaller side's "
             f"{min(pair.a.size(pair.best.file_a), pair.b.size(pair.best.file_b))}; flagged at {threshold:.0%}. "
             "A file's fingerprints are its own code: given code (the stencil and the base files) and code common "
             "to the class are not counted. Similar code is a reason to look, not proof.</p>",
             '<p class="legend"><span class="r0">matched region (one colour each)</span>'
             '<span class="g">given or common code: not counted</span></p>']
    shown_files = (set(), set())
    for index, match in enumerate(m for m in pair.matches if m.shared):
        file_a, file_b = pair.a.file_of(match.file_a), pair.b.file_of(match.file_b)
        if file_a in shown_files[0] and file_b in shown_files[1]:
            continue                     # a weaker match within files already shown (a function of a shown file)
        regions = pair.regions(match)
        prefix = f"f{index}"
        heading = (f"<h2>{html.escape(match.file_a)} / {html.escape(match.file_b)}: {match.score:.0%} "
                   f"({match.shared} shared)</h2>")
        links = []
        for number, (a_first, a_last, b_first, b_last) in enumerate(regions[:MAX_REGIONS_LISTED], start=1):
            colour = (number - 1) % len(REGION_COLOURS)
            where_a = shown_ranges(pair.a, file_a, range(a_first, a_last + 1))
            where_b = shown_ranges(pair.b, file_b, range(b_first, b_last + 1))
            links.append(f'<li><span class="r{colour}">region {number}</span>: '
                         f'<a href="#{prefix}a-r{number}">{a} {html.escape(where_a)}</a> — '
                         f'<a href="#{prefix}b-r{number}">{b} {html.escape(where_b)}</a></li>')
        if len(regions) > MAX_REGIONS_LISTED:
            links.append(f"<li>and {len(regions) - MAX_REGIONS_LISTED} more regions</li>")
        parts += [heading, "<ul>" + "".join(links) + "</ul>",
                  f"<table><tr><td><h2>{a} — {html.escape(file_a)}</h2>"
                  f"{render_file(pair.a, file_a, regions, 'a', prefix)}</td>"
                  f"<td><h2>{b} — {html.escape(file_b)}</h2>"
                  f"{render_file(pair.b, file_b, regions, 'b', prefix)}</td></tr></table>"]
        shown_files[0].add(file_a)
        shown_files[1].add(file_b)
    for submission, shown in zip((pair.a, pair.b), shown_files):
        for file_name in sorted(set(submission.sources) - shown):
            parts.append(f"<details><summary>{html.escape(submission.name)} — {html.escape(file_name)} "
                         "(no match)</summary>" + render_file(submission, file_name, [], "a", "x") + "</details>")
    parts.append("</body></html>\n")
    return "".join(parts)


def filters_text(code):
    """What the filters removed, in one sentence (the index page and the summary say it)."""
    base = f"{len(code.base_files)} base file(s)" if code.base_files else "no base files"
    if code.common_limit:
        common = (f"{len(code.common)} fingerprint(s) found in {code.common_limit} or more of the "
                  f"{code.class_size} submissions were removed as common code")
    else:
        common = (f"no fingerprint was removed as common code (the class of {code.class_size} is too small for "
                  "that rule: a copy ring could be most of it)")
    return (f"Given code: {code.given_removed} distinct fingerprints of the submissions were the stencil's or the "
            f"base code's ({base}) and were not counted; {common}.")


def index_page(pairs, submissions, code, threshold):
    """The class's pairs, flagged first, each with the files and share that carry it and a link to its page."""
    rows = []
    for pair in pairs:
        link = f'<a href="{html.escape(pair.page.split("/", 1)[1])}">page</a>' if pair.page else ""
        earlier = " (earlier)" if pair.a.earlier or pair.b.earlier else ""
        rows.append(f"<tr><td class=\"c\">{html.escape(pair.a.name)}</td><td class=\"c\">{html.escape(pair.b.name)}"
                    f"{earlier}</td><td class=\"c\">{pair.score:.0%}</td><td class=\"c\">"
                    f"{html.escape(carried_by(pair))}</td><td class=\"c\">{pair.best.shared}</td>"
                    f"<td class=\"c\">{'yes' if pair.flagged else ''}</td><td class=\"c\">{link}</td></tr>")
    unread = [s for s in submissions if s.problem]
    flagged = sum(pair.flagged for pair in pairs)
    return (HEAD.format(title="Similarity") + "<h1>Similarity</h1>"
            f"<p>{sum(not s.earlier for s in submissions)} submissions compared; {flagged} pairs at or above "
            f"{threshold:.0%} (listed: every pair at or above {threshold / 2:.0%}). A pair scores as its strongest "
            "pair of files (or of functions): the fingerprints they share over the smaller one's.</p>"
            f"<p>{html.escape(filters_text(code))}</p>"
            + (f"<p>Base files: {html.escape(', '.join(code.base_files))}</p>" if code.base_files else "")
            + (f"<p>Not compared (could not be read): {html.escape(', '.join(s.name for s in unread))}</p>"
               if unread else "")
            + "<table><tr><th>submission</th><th>submission</th><th>score</th><th>carried by</th>"
            "<th>shared</th><th>flagged</th><th></th></tr>" + "".join(rows) + "</table></body></html>\n")


SECTION = "## Similarity"


def summary_section(pairs, submissions, code, threshold, seconds, top=10):
    flagged = [pair for pair in pairs if pair.flagged]
    unread = [s for s in submissions if s.problem]
    earlier = sum(s.earlier for s in submissions)
    lines = [SECTION, "",
             f"{sum(not s.earlier for s in submissions)} submissions compared"
             f"{f' (and {earlier} earlier ones)' if earlier else ''}"
             f" in {seconds:.1f} s: {len(flagged)} pairs at or above {threshold:.0%} (similarity/index.html; "
             "similarity.csv; a side-by-side page per flagged pair in similarity/).", "",
             markdown_text(filters_text(code)), ""]
    if flagged:
        lines += ["| pair | score | carried by | matched lines | page |", "|---|---|---|---|---|"]
        for pair in flagged[:top]:
            mark = " (earlier)" if pair.b.earlier or pair.a.earlier else ""
            lines.append(f"| {markdown_text(pair.a.name)} / {markdown_text(pair.b.name)}{mark} | "
                         f"{pair.score:.0%} | {markdown_text(carried_by(pair))} | "
                         f"{markdown_text(matched_text(pair.a, pair.lines('a')))} | [page]({pair.page}) |")
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
