"""Export of a conversation, with its citations and quoted passages, as Markdown or DOCX.

Each answer is written as asked and answered, followed by its numbered sources: the
citation (title, year, meeting, pages, section, element kind, document id) and the quote,
verbatim. An answer that was not found says so and lists the closest material as such,
never as sources.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from assistant.models import Answer, Hit
from ui.render import KIND_LABELS, pages_label

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_<>|~"})


def _md(text: str) -> str:
    """Escape Markdown syntax in text taken from documents or users: emphasis, code,
    HTML, tables, a heading mark at a line start and link syntax (``](``)."""
    out = text.translate(_MD_SPECIAL).replace("](", "]\\(")
    return "\n".join("\\" + line if line.startswith("#") else line for line in out.split("\n"))


def citation_line(hit: Hit) -> str:
    """``"Title (2011), p. 4 — Section — key message — Meeting [doc-id]"``: the citation of a
    hit in plain text."""
    j = hit.to_json()
    parts = [f"{j['title']}" + (f" ({j['year']})" if j["year"] else "")]
    pages = pages_label(j["page_start"], j["page_end"])
    head = parts[0] + (f", {pages}" if pages else "")
    rest = [x for x in (j["section"], KIND_LABELS.get(j["element_kind"] or ""), j["meeting"]) if x]
    return " — ".join([head, *rest]) + f" [{j['doc_id']}]"


def conversation_markdown(answers: Sequence[Answer], *, title: str = "GFMD assistant") -> str:
    """The conversation as a Markdown document.

    Args:
        answers: the answers in the order they were given (each holds its question).
        title: the document title.

    Returns:
        Markdown text: one ``##`` section per question with the answer, its notice, and
        its sources with blockquoted passages (or "Not found" and the closest material).
    """
    out = [f"# {_md(title)}", "", f"Exported {time.strftime('%Y-%m-%d %H:%M')}.", ""]
    if not answers:
        out.append("(empty conversation)")
    for i, a in enumerate(answers, start=1):
        out += [f"## {i}. {_md(a.question)}", ""]
        if a.status == "not_found":
            out += [f"**Not found.** {_md(a.notice or '')}".rstrip(), ""]
            if a.closest:
                out += ["Closest material (not an answer):", ""]
                for h in a.closest:
                    out.append(f"- {_md(citation_line(h))}")
                out.append("")
            continue
        out += [_md(a.text).replace("\n", "  \n"), ""]
        if a.notice:
            out += [f"*{_md(a.notice)}*", ""]
        out += ["Sources:", ""]
        for c in a.citations:
            out.append(f"[{c.marker}] {_md(citation_line(c.hit))}")
            out.append("")
            out += [f"> {_md(line)}" if line.strip() else ">" for line in c.quote.splitlines()]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_markdown(answers: Sequence[Answer], path: Path) -> Path:
    """Write :func:`conversation_markdown` to ``path`` (UTF-8) and return it."""
    path.write_text(conversation_markdown(answers), encoding="utf-8")
    return path


def write_docx(answers: Sequence[Answer], path: Path, *, title: str = "GFMD assistant") -> Path:
    """Write the conversation as a Word document (python-docx): the same content as
    :func:`conversation_markdown`, with quotes in the "Quote" style.

    Returns:
        ``path``.
    """
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=0)
    doc.add_paragraph(f"Exported {time.strftime('%Y-%m-%d %H:%M')}.")
    for i, a in enumerate(answers, start=1):
        doc.add_heading(f"{i}. {a.question}", level=1)
        if a.status == "not_found":
            p = doc.add_paragraph()
            p.add_run("Not found. ").bold = True
            p.add_run(a.notice or "")
            if a.closest:
                doc.add_paragraph("Closest material (not an answer):")
                for h in a.closest:
                    doc.add_paragraph(citation_line(h), style="List Bullet")
            continue
        for line in a.text.splitlines():
            doc.add_paragraph(line)
        if a.notice:
            doc.add_paragraph().add_run(a.notice).italic = True
        doc.add_heading("Sources", level=2)
        for c in a.citations:
            doc.add_paragraph(f"[{c.marker}] {citation_line(c.hit)}")
            doc.add_paragraph(c.quote, style="Quote")
    doc.save(str(path))
    return path
