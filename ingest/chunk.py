"""Cut a structured document into passages: the units the retriever indexes and cites.

Rules (sizes from :class:`gfmd.settings.ChunkingSettings`):

- A passage is an exact span of :attr:`Document.text` (``doc.text[p.start:p.end] ==
  p.text``) of about ``target_chars``, never more than ``max_chars``.
- Passages follow blocks: a paragraph or list item is never cut, unless it cannot fit in
  one passage (longer than ``max_chars``, or than what is left beside its heading); then
  it is cut at sentence ends (a sentence longer than ``max_chars`` at clause or word
  boundaries).
- A heading opens the passage of the section it starts (it is never left alone at the
  end of a passage). A passage is closed at a heading once it holds at least half of
  ``target_chars``, so that passages do not straddle sections.
- A passage that continues the previous one (same section) starts with up to
  ``overlap_chars`` of the previous passage's last sentences; passages that start at a
  heading have no overlap.
- Footnotes form their own passages (``kind="footnote"``): each footnote or group of
  consecutive footnotes up to ``target_chars``.
- ``section`` is the section path of the passage's first non-heading block; ``page_start``
  / ``page_end`` come from the document's page spans (from the footnote's own page for
  footnotes), ``None`` without pages; ``label`` reads like
  ``"Rapport de synthèse du Module III (2011), p. 4, Messages essentiels de l’atelier…"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus import text as shared_text
from gfmd.settings import ChunkingSettings
from ingest.language import detect_language
from ingest.models import Block, Document, Passage, content_id
from ingest.structure import paragraph_fields, section_label

_ABBREVIATIONS = frozenset(
    {"m", "mm", "mme", "mmes", "mlle", "dr", "pr", "st", "ste", "p", "pp", "no", "nº", "art"}
    | {"al", "cf", "ch", "vol", "éd", "ed", "etc", "ex", "fig", "e.g", "i.e", "vs", "mr"}
    | {"mrs", "ms", "prof", "sr", "sra", "dña", "av"}
)
_SENTENCE_END = re.compile(r"[.!?…][»”’\"')\]]*\s+(?=[«\"“‘(\[]?\s*[A-ZÀ-ÝĀ-Ž0-9•])")
_CLAUSE_END = re.compile(r"[;:,][»”’\"')\]]*\s+")


@dataclass
class _Atom:
    """A unit the packer places whole: a heading, a block, or a piece of a long block."""

    start: int
    end: int
    block: int  # index into the body blocks
    heading: bool
    piece: bool  # a piece of a block too long for one passage


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]`` (offsets into ``text``), whitespace between
    sentences excluded. Abbreviations ("M.", "p.", "etc." before a lower-case word) and
    initials do not end sentences."""
    spans: list[tuple[int, int]] = []
    while start < end and text[start].isspace():
        start += 1
    s = start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = re.search(r"([^\W\d_]+(?:\.[^\W\d_]+)*)[.]$", text[s : m.start() + 1])
        if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
            continue
        cut = m.end()
        stripped = cut
        while stripped > s and text[stripped - 1].isspace():
            stripped -= 1
        if stripped > s:
            spans.append((s, stripped))
        s = cut
    while end > s and text[end - 1].isspace():
        end -= 1
    if s < end:
        spans.append((s, end))
    return spans


def _pieces(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into pieces no longer than ``limit``: sentences, then
    clauses, then words (a single word longer than ``limit`` is cut hard)."""
    out: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if e - s <= limit:
            out.append((s, e))
            continue
        out.extend(_split_long(text, s, e, limit))
    return out


def _split_long(text: str, s: int, e: int, limit: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    while e - s > limit:
        window_end = s + limit
        cut = None
        for m in _CLAUSE_END.finditer(text, s, window_end + 1):
            if m.end() <= window_end and m.end() - s >= limit // 3:
                cut = m.end()
        if cut is None:
            space = text.rfind(" ", s + 1, window_end + 1)
            cut = space + 1 if space > s else window_end
        piece_end = cut
        while piece_end > s and text[piece_end - 1].isspace():
            piece_end -= 1
        out.append((s, piece_end))
        s = cut
        while s < e and text[s].isspace():
            s += 1
    if s < e:
        out.append((s, e))
    return out


def chunk_document(doc: Document, settings: ChunkingSettings) -> tuple[Passage, ...]:
    """Cut a document into passages (see the module docstring for the rules).

    Args:
        doc: a document built by :func:`ingest.pipeline.build_document`.
        settings: ``target_chars``, ``max_chars``, ``overlap_chars`` (characters).

    Returns:
        Body passages in text order, then footnote passages. Every passage has
        ``passage_id == content_id(doc_id, start, end, text)``.
    """
    limit = max(settings.max_chars, 1)
    target = min(settings.target_chars, limit)
    overlap = min(settings.overlap_chars, limit // 4)
    text = doc.text
    body = [b for b in doc.blocks if b.kind != "footnote"]
    notes = [b for b in doc.blocks if b.kind == "footnote"]

    atoms: list[_Atom] = []
    for bi, b in enumerate(body):
        if b.kind == "heading":
            atoms.append(_Atom(b.start, b.end, bi, heading=True, piece=False))
        elif b.end - b.start <= limit:
            atoms.append(_Atom(b.start, b.end, bi, heading=False, piece=False))
        else:
            atoms.extend(
                _Atom(s, e, bi, heading=False, piece=True)
                for s, e in _pieces(text, b.start, b.end, limit)
            )

    groups = _pack(atoms, text, target, limit)
    spans: list[tuple[int, int, int]] = []  # (start, end, first content block)
    for gi, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        first = next((a.block for a in group if not a.heading), group[-1].block)
        if gi > 0 and not group[0].heading and overlap > 0:
            prev = groups[gi - 1]
            floor = max([a.end for a in prev if a.heading], default=prev[0].start)
            lowest = max(floor, prev[0].start + 1, end - limit)
            ov = _overlap_start(text, lowest, prev[-1].end, overlap)
            if ov is not None:
                start = ov
        spans.append((start, end, first))

    passages = [_passage(doc, s, e, body[first].section, "body") for s, e, first in spans]

    # Footnotes: each footnote or group of consecutive footnotes.
    group_blocks: list[Block] = []

    def flush() -> None:
        if group_blocks:
            s, e = group_blocks[0].start, group_blocks[-1].end
            passages.append(_passage(doc, s, e, group_blocks[0].section, "footnote", group_blocks))
            group_blocks.clear()

    for b in notes:
        if b.end - b.start > limit:
            flush()
            for ps, pe in _pieces(text, b.start, b.end, limit):
                passages.append(_passage(doc, ps, pe, b.section, "footnote", [b]))
            continue
        if group_blocks and (
            b.end - group_blocks[0].start > target or b.section != group_blocks[0].section
        ):
            flush()
        group_blocks.append(b)
    flush()
    return tuple(passages)


def _pack(atoms: list[_Atom], text: str, target: int, limit: int) -> list[list[_Atom]]:
    """Group atoms into passages (greedy; see the module docstring)."""
    groups: list[list[_Atom]] = []
    cur: list[_Atom] = []

    def content_size(group: list[_Atom]) -> int:
        return group[-1].end - group[0].start if any(not a.heading for a in group) else 0

    def close() -> None:
        nonlocal cur
        # headings waiting at the end move on to the next passage
        k = len(cur)
        while k > 0 and cur[k - 1].heading:
            k -= 1
        if k > 0:
            groups.append(cur[:k])
        cur = cur[k:]

    i = 0
    while i < len(atoms):
        a = atoms[i]
        if a.heading:
            if content_size(cur) >= target / 2 or (
                content_size(cur) and a.end - cur[0].start > target
            ):
                close()
            if cur and not content_size(cur) and a.end - cur[0].start > limit // 2:
                groups.append(cur)  # a pile of long headings: a passage of their own
                cur = []
            cur.append(a)
            i += 1
            continue
        if not cur:
            cur.append(a)
            i += 1
            continue
        size = a.end - cur[0].start
        has_content = any(not x.heading for x in cur)
        if size <= target or (size <= limit and not has_content):
            cur.append(a)
            i += 1
            continue
        if has_content:
            close()
            continue  # retry the atom in the new passage (maybe after headings)
        # Only headings before it and it does not fit beside them: cut it (smaller).
        room = limit - (a.start - cur[0].start)
        if room < 100:  # headings alone nearly fill a passage: let them lead anyway
            room = 100
        pieces = _pieces(text, a.start, a.end, room)
        if len(pieces) == 1:  # cannot be cut: keep it whole (a word longer than room)
            cur.append(a)
            i += 1
            continue
        atoms[i : i + 1] = [_Atom(s, e, a.block, heading=False, piece=True) for s, e in pieces]
    close()
    if cur:  # only headings at the very end: attach them to the last passage if they fit
        if groups and cur[-1].end - groups[-1][0].start <= limit:
            groups[-1].extend(cur)
        else:
            groups.append(cur)
    return groups


def _overlap_start(text: str, floor: int, prev_end: int, overlap: int) -> int | None:
    """Start of the last sentences before ``prev_end`` (not before ``floor``) whose
    length fits in ``overlap`` characters, or None."""
    best = None
    spans = sentence_spans(text, floor, prev_end)
    for k in range(len(spans) - 1, -1, -1):
        s = spans[k][0]
        if prev_end - s > overlap:
            break
        if k == 0 and (s == floor or text[s - 1] not in " \n"):
            break  # the first span may be a sentence cut by the floor, not a sentence start
        best = s
    return best


def _pages(doc: Document, start: int, end: int) -> tuple[int | None, int | None]:
    hit = [p.number for p in doc.pages if p.start < end and start < p.end]
    if not hit:
        hit = [p.number for p in doc.pages if p.start <= start <= p.end]
    if not hit:
        return None, None
    return min(hit), max(hit)


def short_title(title: str, limit: int = 60) -> str:
    """A document title short enough for a citation label: the part before " : ",
    truncated to ``limit`` characters."""
    head = title.split(" : ")[0].split(": ")[0].strip() or title
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def passage_label(
    title: str,
    year: int | None,
    page_start: int | None,
    page_end: int | None,
    section: Sequence[str],
) -> str:
    """Human-readable citation of a passage.

    Example: ``"Rapport de synthèse du Module III (2011), p. 4, Messages essentiels…"``;
    pages read "pp. 4-5" for a range and are omitted when unknown, as are the year and
    the section (its last heading, truncated to 80 characters).
    """
    out = short_title(title)
    if year is not None:
        out += f" ({year})"
    if page_start is not None:
        if page_end is not None and page_end != page_start:
            out += f", pp. {page_start}-{page_end}"
        else:
            out += f", p. {page_start}"
    if section:
        out += f", {section_label(section)}"
    return out


def _passage(
    doc: Document,
    start: int,
    end: int,
    section: tuple[str, ...],
    kind: str,
    blocks: Sequence[Block] = (),
) -> Passage:
    text = doc.text[start:end]
    if kind == "footnote" and blocks:
        pages = [p for b in blocks for p in (b.page_start, b.page_end) if p is not None]
        page_start, page_end = (min(pages), max(pages)) if pages else (None, None)
    else:
        page_start, page_end = _pages(doc, start, end)
    return Passage(
        passage_id=content_id(doc.doc_id, start, end, text),
        doc_id=doc.doc_id,
        text=text,
        start=start,
        end=end,
        page_start=page_start,
        page_end=page_end,
        section=section,
        language=detect_language(text),
        kind="footnote" if kind == "footnote" else "body",
        label=passage_label(doc.meta.title, doc.meta.year, page_start, page_end, section),
        **paragraph_fields(doc, start, end),
        sentences=passage_sentences(text, start),
    )


def passage_sentences(text: str, start: int) -> tuple[tuple[int, int], ...]:
    """The sentence spans of a passage's text (:func:`corpus.text.sentence_spans`; a line
    break ends a sentence, so a heading is its own span), as absolute offsets.

    Args:
        text: the passage text, ``doc.text[start:end]``.
        start: the passage's start offset in the document's cleaned text.

    Returns:
        ``(start, end)`` pairs in order, each inside the passage, whitespace-trimmed.
    """
    spans = shared_text.sentence_spans(text, line_breaks=True)
    return tuple((start + s, start + e) for s, e in spans)
