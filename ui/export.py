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

from assistant.models import Answer, Filters, Hit, json_locator, titled
from ui.render import KIND_LABELS, SECTION_CHARS
from ui.strings import t

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_<>|~"})


def _md(text: str) -> str:
    """Escape Markdown syntax in text taken from documents or users: emphasis, code,
    HTML, tables, a heading mark at a line start and link syntax (``](``)."""
    out = text.translate(_MD_SPECIAL).replace("](", "]\\(")
    return "\n".join("\\" + line if line.startswith("#") else line for line in out.split("\n"))


def citation_line(hit: Hit, lang: str | None = "en") -> str:
    """``"Title (2011), p. 4, para. 12 — Section — key message — Meeting [doc-id]"``: the
    citation of a hit in plain text; "no page numbers in this source" when it has neither
    pages nor paragraph numbers; the section is its innermost heading (at most
    :data:`ui.render.SECTION_CHARS` characters), not the whole path. The phrase and the
    kind are in ``lang`` (en/fr/es; English otherwise)."""
    j = hit.to_json()
    head = titled(j["title"], j["year"])
    head += f", {json_locator(j) or t('no_locator', lang)}"
    section = j["section"].rsplit(" > ", 1)[-1]
    if len(section) > SECTION_CHARS:
        section = section[: SECTION_CHARS - 1].rstrip() + "…"
    kind = t(f"kind_{j['element_kind']}", lang) if j["element_kind"] else ""
    rest = [x for x in (section, kind, j["meeting"]) if x]
    return " — ".join([head, *rest]) + f" [{j['doc_id']}]"


def describe_filters(filters: Filters | None) -> str:
    """The filters of a question in words ("documents: a, b; from 2011; language: fr");
    ``""`` when there are none."""
    if filters is None:
        return ""
    parts = []
    if filters.doc_ids:
        parts.append("documents: " + ", ".join(filters.doc_ids))
    if filters.year_min is not None and filters.year_min == filters.year_max:
        parts.append(f"year {filters.year_min}")
    elif filters.year_min is not None and filters.year_max is not None:
        parts.append(f"years {filters.year_min}-{filters.year_max}")
    elif filters.year_min is not None:
        parts.append(f"from {filters.year_min}")
    elif filters.year_max is not None:
        parts.append(f"until {filters.year_max}")
    if filters.languages:
        parts.append("language: " + ", ".join(filters.languages))
    if filters.kinds:
        parts.append("kinds: " + ", ".join(KIND_LABELS.get(k, k) for k in filters.kinds))
    if filters.meeting:
        parts.append(f"meeting: {filters.meeting}")
    return "; ".join(parts)


def conversation_markdown(
    answers: Sequence[Answer],
    *,
    title: str = "GFMD assistant",
    filters: Sequence[Filters | None] = (),
) -> str:
    """The conversation as a Markdown document.

    Args:
        answers: the answers in the order they were given (each holds its question).
        title: the document title.
        filters: the filters each question was asked with (same order; missing = none),
            recorded under the question.

    Returns:
        Markdown text: one ``##`` section per question with the answer, its notice, and
        its sources with blockquoted passages (or "Not found" and the closest material).
    """
    out = [f"# {_md(title)}", "", f"Exported {time.strftime('%Y-%m-%d %H:%M')}.", ""]
    if not answers:
        out.append("(empty conversation)")
    for i, a in enumerate(answers, start=1):
        lang = a.question_language
        out += [f"## {i}. {_md(a.question)}", ""]
        used = describe_filters(filters[i - 1] if i - 1 < len(filters) else None)
        if used:
            out += [f"*Filters: {_md(used)}*", ""]
        if a.status == "not_found":
            out += [f"**{t('not_found', lang)}.** {_md(a.notice or '')}".rstrip(), ""]
            if a.closest:
                out += [f"{t('closest_material', lang)}:", ""]
                for h in a.closest:
                    out.append(f"- {_md(citation_line(h, lang))}")
                out.append("")
            continue
        out += [_md(a.text).replace("\n", "  \n"), ""]
        if a.notice:
            out += [f"*{_md(a.notice)}*", ""]
        out += [f"{t('sources', lang)}:", ""]
        for c in a.citations:
            out.append(f"[{c.marker}] {_md(citation_line(c.hit, lang))}")
            out.append("")
            out += [f"> {_md(line)}" if line.strip() else ">" for line in c.quote.splitlines()]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_markdown(
    answers: Sequence[Answer], path: Path, *, filters: Sequence[Filters | None] = ()
) -> Path:
    """Write :func:`conversation_markdown` to ``path`` (UTF-8) and return it."""
    path.write_text(conversation_markdown(answers, filters=filters), encoding="utf-8")
    return path


def write_docx(
    answers: Sequence[Answer],
    path: Path,
    *,
    title: str = "GFMD assistant",
    filters: Sequence[Filters | None] = (),
) -> Path:
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
        lang = a.question_language
        doc.add_heading(f"{i}. {a.question}", level=1)
        used = describe_filters(filters[i - 1] if i - 1 < len(filters) else None)
        if used:
            doc.add_paragraph().add_run(f"Filters: {used}").italic = True
        if a.status == "not_found":
            p = doc.add_paragraph()
            p.add_run(f"{t('not_found', lang)}. ").bold = True
            p.add_run(a.notice or "")
            if a.closest:
                doc.add_paragraph(f"{t('closest_material', lang)}:")
                for h in a.closest:
                    doc.add_paragraph(citation_line(h, lang), style="List Bullet")
            continue
        for line in a.text.splitlines():
            doc.add_paragraph(line)
        if a.notice:
            doc.add_paragraph().add_run(a.notice).italic = True
        doc.add_heading(t("sources", lang), level=2)
        for c in a.citations:
            doc.add_paragraph(f"[{c.marker}] {citation_line(c.hit, lang)}")
            doc.add_paragraph(c.quote, style="Quote")
    doc.save(str(path))
    return path
