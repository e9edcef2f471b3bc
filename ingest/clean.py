"""Clean the text a loader read: from PDF-extraction scars to readable paragraphs.

:func:`clean_pages` turns a :class:`~ingest.models.RawDocument` into a :class:`CleanText`:
the cleaned text of the whole document (body first, then its footnotes), where each
page's body lies, where each footnote lies, and provisional segments (one per heading,
paragraph, list item, footnote) that :func:`ingest.structure.parse_blocks` turns into
blocks. The steps, in order:

1. Characters: Unicode NFC; no-break and thin spaces become spaces; soft hyphens,
   zero-width characters and control characters go; ligatures (ﬁ, ﬂ…) are spelled out;
   private-use glyphs (Symbol-font bullets U+F0B7, U+F0A7, U+F0D8…) at a line start
   become "•", elsewhere they are dropped. Typographic quotes and apostrophes are kept.
2. Markdown (``.md`` files): ``#`` headings, ``**bold**``/``*italic*`` markers, escapes,
   links and horizontal rules are removed; ``-``/``*`` list markers become "•".
3. Running headers and footers: lone page numbers ("8", "- 3 -", "Page 4", "4/12");
   lines repeated at the top or bottom of several pages (digits ignored); in a text
   without pages, short lines repeated three times or more far apart, and a short
   isolated line directly followed by a lone page number ("Traduction" / "3",
   "PHILIPPINE GFMD 2008 WORKING PAPER RT 3.3" / "8"). Such a removal in a text without
   pages marks a page break (used to join a paragraph cut by it; no page number is
   inferred).
4. Footnotes: a zone of lines starting with the next footnote number ("5 Comme les
   discussions…", " 2  Voir…") after a separator line (underscores, or a line of spaces
   where the PDF rule was) or, in a paged document, at the bottom of a page, plus their
   continuation lines, is moved out of the body. The zone ends at the page end, a blank
   line, or a line indented by a space that is not a footnote (the body resuming on the
   next page). A footnote continued on the next page (a lower-case line after the next
   separator) is joined to it.
5. Reference marks: the footnote number glued to the body ("migratoires.3 Ces",
   "FMMD2.", "octobre 20114" = "2011" + note 4, "30 juin 2011 6" at a line end) is
   removed when it is the next unreferenced footnote number and it precedes that
   footnote; otherwise the digits are left alone.
6. Paragraphs: wrapped lines are joined with a space; a word hyphenated at a line end
   is joined without the hyphen when its second part starts lower case and the joined
   word occurs elsewhere in the document (or the second part is not a word of the
   document), else the hyphen is kept ("dévelop-/pement" -> "développement",
   "main-/d'œuvre" -> "main-d'œuvre"). A blank line ends a paragraph, except when the
   paragraph's last line has no terminal punctuation and the next line starts lower
   case (PDF extraction puts blank lines inside sentences); a page break or a removed
   header/footnote zone inside a sentence is joined over as well. Headings and list
   items start new segments (see :mod:`ingest.structure` for how they are recognised).

Every segment is separated from the next by one blank line (``"\\n\\n"``) in
:attr:`CleanText.text`.

Every loop advances by at least one line per pass and carries an explicit bound
(:class:`_Bound`, ``2 * lines + 16`` passes); a loop past its bound is a bug, reported as
:class:`~gfmd.errors.IngestError` "cleaning did not converge in the … step" for that
file instead of hanging ingest (issue 11).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from gfmd.errors import IngestError
from ingest.models import BlockKind, PageSpan, RawDocument
from ingest.structure import (
    BULLET_CHARS,
    HEADING_MAX_CHARS,
    HeadingGuess,
    classify_heading,
    ends_period,
    ends_sentence,
    list_label,
    next_labels,
    starts_lower,
    starts_upper,
)

# ---------------------------------------------------------------------------------------
# Public values
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A provisional block of the cleaned text.

    Attributes:
        kind: ``heading``, ``paragraph``, ``list_item`` or ``footnote`` (as seen line by
            line; :func:`ingest.structure.parse_blocks` may revise it).
        start, end: span in :attr:`CleanText.text`.
        page_start, page_end: physical pages, or ``None`` for a text without pages.
        label: list label ("iii", "b", "2", "•"), footnote number, heading number.
        heading_family: for headings, the family found by
            :func:`ingest.structure.classify_heading` ("roman", "arabic2", "meeting"…).
        indent: leading spaces of the segment's first source line (a dropped bullet glyph
            leaves one).
    """

    kind: BlockKind
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    label: str = ""
    heading_family: str = ""
    indent: int = 0


@dataclass(frozen=True)
class Footnote:
    """A footnote moved out of the body.

    Attributes:
        number: its number as printed.
        start, end: its span in :attr:`CleanText.text` (after the body), number included.
        page_start, page_end: pages it was printed on, or ``None``.
        anchor: offset in the body text of its reference mark, or, when no mark was
            found, of the place the footnote zone was removed from.
        referenced: whether a reference mark was found (and removed) in the body.
    """

    number: int
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    anchor: int
    referenced: bool


@dataclass(frozen=True)
class CleanText:
    """The cleaned text of a document.

    Attributes:
        text: body segments then footnotes, separated by blank lines.
        body_end: offset where the body ends (footnotes start after it).
        pages: where each page's body text lies (empty without pages); a page with no
            body text has an empty span at the position it would occupy.
        footnotes: the footnotes, in order.
        segments: provisional blocks in text order.
        removed_lines: how many source lines were dropped as running headers, footers
            or lone page numbers (for reports).
        running_headers: the distinct running header/footer lines removed, in order of
            first appearance (often the document's title; used to infer metadata).
    """

    text: str
    body_end: int
    pages: tuple[PageSpan, ...]
    footnotes: tuple[Footnote, ...]
    segments: tuple[Segment, ...]
    removed_lines: int = 0
    running_headers: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# Internal line records
# ---------------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    indent: int
    page: int | None
    idx: int
    raw_space_only: bool = False  # a line of spaces only (where a footnote rule was)
    md_level: int = 0
    bold: bool = False
    bullet: bool = False  # started with a bullet glyph or markdown list marker
    gone: str = ""  # why it was removed: header, pagenum, footnote, rule, noise
    brk: bool = False  # a page break or removed zone follows this line
    refs: list[int] = field(default_factory=list)  # footnote numbers whose mark was here

    @property
    def blank(self) -> bool:
        return not self.text


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_GLYPH_ONLY = re.compile(rf"^[{BULLET_CHARS}\-–—*o]$")

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|pág\.?|página)\s*)?[-–—(\[]?\s*\d{1,3}\s*[-–—)\]]?"
    r"(?:\s*(?:/|of|de|sur)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_ROMAN_PAGE = re.compile(r"^[ivxlc]{1,6}$")
_DOC_SYMBOL = re.compile(r"^[A-Z]{1,6}(?:/[A-Z0-9][A-Za-z0-9.\-]*){1,6}$")
_RULE = re.compile(r"^(?:[_\-–—=*.·]\s*){5,}$")
_FOOTNOTE_START = re.compile(r"^(\d{1,3})(?:\s+|(?=[«\"“(A-ZÀ-Ý]))(?=\S)")
_NUMBERED_NOUNS = re.compile(
    r"(?:table\s+ronde|ronde|roundtable|table|session|séance|sesión|sous-thème|thème"
    r"|theme|subtema|tema|module|annexe?|anexo|chapitre|chapter|capítulo|partie|part"
    r"|parte|section|sección|objectif|objective|objetivo|cible|target|meta|paragraphe"
    r"|paragraph|párrafo|article|artículo|résolution|resolution|resolución|page|p\.|pp\."
    r"|vol\.|no\.|n°|nº|le|la|les|du|de|des|au|aux|à|en|of|the|on|in|el|los|las|del|al"
    r"|y|et|and|ou|or|janvier|février|mars|avril|mai|juin|juillet|août|septembre"
    r"|octobre|novembre|décembre|january|february|march|april|may|june|july|august"
    r"|september|october|november|december|enero|febrero|marzo|abril|mayo|junio|julio"
    r"|agosto|septiembre|octubre|noviembre|diciembre)$",
    re.IGNORECASE,
)
_KEEP_HYPHEN_FIRST = frozenset(
    {"ci", "là", "non", "ex", "vice", "mi", "demi", "semi", "quasi", "bien", "sous", "contre"}
    | {"self", "cross", "sud", "nord", "est", "ouest"}
)
"""First parts of compounds that keep their hyphen ("ci-dessous", "non-étatiques")."""
_KEEP_HYPHEN_SECOND = frozenset(
    {"ci", "là", "même", "mêmes", "être", "dire", "t", "il", "elle", "ils", "elles", "on"}
)
"""Second parts of compounds that keep their hyphen ("ceux-ci", "c'est-à-dire", "bien-être")."""
_DANGLING_END = re.compile(
    r"\b(?:de|des|du|d[’']|la|le|les|l[’']|et|à|au|aux|en|pour|par|sur|dans|avec|entre"
    r"|un|une|ou|que|qui|dont|of|the|and|to|in|for|on|by|with|from|a|an|or|that"
    r"|y|el|los|las|del|al|con|por|para|que|en|e|o|um|uma|os|as|do|da|dos|das)$",
    re.IGNORECASE,
)
"""A line ending with one of these words does not end a sentence (a wrapped line)."""
_WORDS = re.compile(r"[^\W\d_]+(?:[’'\-][^\W\d_]+)*")


class _NoConvergence(Exception):
    """A cleaning loop ran past its bound (a bug: a loop that failed to advance)."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


class _Bound:
    """An explicit bound on one cleaning loop.

    Every loop of this module advances by at least one line per pass, so a loop over
    ``n`` lines makes at most ``n`` passes; the bound allows ``2 * n + 16`` and raises
    :class:`_NoConvergence` past it, which :func:`clean_pages` turns into an
    :class:`~gfmd.errors.IngestError` ("cleaning did not converge") instead of a hang.
    """

    __slots__ = ("limit", "passes", "stage")

    def __init__(self, stage: str, n: int) -> None:
        self.stage = stage
        self.limit = 2 * n + 16
        self.passes = 0

    def tick(self) -> None:
        """Count one pass of the loop.

        Raises:
            _NoConvergence: past the bound.
        """
        self.passes += 1
        if self.passes > self.limit:
            raise _NoConvergence(self.stage)


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def clean_pages(raw: RawDocument) -> CleanText:
    """Clean a loaded document (see the module docstring for every rule).

    Args:
        raw: pages as read by :func:`ingest.loaders.load_file`.

    Returns:
        The cleaned text with page spans, footnotes and provisional segments.

    Raises:
        IngestError: a cleaning loop ran past its bound ("cleaning did not converge in
            the <stage> step"); every loop is bounded so that a bug cannot hang ingest.
    """
    try:
        return _clean(raw)
    except _NoConvergence as exc:
        raise IngestError(raw.path, f"cleaning did not converge in the {exc.stage} step") from None


def _clean(raw: RawDocument) -> CleanText:
    paged = any(p.number is not None for p in raw.pages)
    lines = _normalise(raw)
    if raw.fmt == "md":
        lines = _markdown(lines)
    removed = _running_lines(lines, paged)
    live = [ln for ln in lines if not ln.gone]
    notes = _footnotes(live, paged)
    for ln in live:
        if not ln.gone and _RULE.match(ln.text):
            ln.gone = "rule"  # a separator rule that no footnote followed
    _reference_marks(live, notes)
    _propagate_breaks(lines)
    body = [ln for ln in live if not ln.gone]
    vocab = _vocabulary(ln.text for ln in live if ln.text)
    headers = tuple(dict.fromkeys(ln.text for ln in lines if ln.gone == "header"))
    return _assemble(body, notes, vocab, raw, removed, headers)


# ---------------------------------------------------------------------------------------
# 1. Characters and lines
# ---------------------------------------------------------------------------------------


def normalise_chars(text: str) -> str:
    """Character-level normalisation of extracted text (step 1 of the module docstring),
    without touching line structure; private-use glyphs are left for the line step."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_LIGATURES)
    text = _SPACES.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub("", text)


def _normalise(raw: RawDocument) -> list[_Line]:
    out: list[_Line] = []
    for page in raw.pages:
        text = page.text.replace("\r\n", "\n").replace("\r", "\n")
        # A soft hyphen at a line end is a discretionary break: always join.
        text = re.sub("\u00ad[ \t]*\n", "\u2063", text)
        text = normalise_chars(text).replace("\u2063", "\u00ad\n")
        page_lines = text.split("\n")
        for raw_line in page_lines:
            soft = raw_line.endswith("\u00ad")
            line = raw_line.rstrip("\u00ad").rstrip()
            indent = len(line) - len(line.lstrip(" "))
            body = line.strip()
            bullet = False
            if body and _PRIVATE_USE.match(body):
                body = _PRIVATE_USE.sub("", body, count=1).lstrip()
                body = "•" if not body else "• " + body
            body = _PRIVATE_USE.sub("", body)
            body = re.sub(r" {2,}", " ", body)
            if body and body[0] in BULLET_CHARS:
                bullet = True
                rest = body[1:].lstrip()
                body = "• " + rest if rest else "•"
            if body and not body.strip("•") and body != "•":
                body = ""
            if body and not any(ch.isalnum() for ch in body) and len(body) <= 3 and body != "•":
                body = ""  # stray punctuation left by the extraction
            if soft and body:
                body += "\u00ad"  # marker consumed by the join step
            out.append(
                _Line(
                    text=body,
                    indent=indent,
                    page=page.number,
                    idx=len(out),
                    raw_space_only=bool(raw_line) and not raw_line.strip(),
                    bullet=bullet,
                )
            )
        if out:
            out[-1].brk = page.number is not None
    return out


# ---------------------------------------------------------------------------------------
# 2. Markdown
# ---------------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^(?:[-*_]\s*){3,}$")
_MD_LIST = re.compile(r"^[-*+]\s+(?=\S)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")


def _strip_md_inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*]*?\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)([^_]*?\S)_(?![\w_])", r"\1", text)
    text = text.replace("`", "")
    return _MD_ESCAPE.sub(r"\1", text).strip()


def _markdown(lines: list[_Line]) -> list[_Line]:
    out: list[_Line] = []
    i = 0
    bound = _Bound("markdown", len(lines))
    while i < len(lines):
        bound.tick()
        ln = lines[i]
        t = ln.text
        if not t:
            out.append(ln)
            i += 1
            continue
        if _MD_RULE.match(t):
            ln.text = ""
            out.append(ln)
            i += 1
            continue
        if m := _MD_HEADING.match(t):
            ln.md_level = len(m.group(1))
            ln.text = _strip_md_inline(m.group(2))
            out.append(ln)
            i += 1
            continue
        # A bold run that opens at a line start and closes at a line end, possibly over
        # a few lines (hard breaks inside a bold title), is one bold line.
        if t.startswith("**") or t.startswith("__"):
            marker = t[:2]
            j = i
            while j < len(lines) and j - i < 5 and lines[j].text:  # bounded: 5 lines
                if lines[j].text.endswith(marker) and (j > i or len(lines[j].text) > 4):
                    break
                j += 1
            if j < len(lines) and lines[j].text.endswith(marker):
                joined = " ".join(lines[k].text for k in range(i, j + 1))
                inner = joined[2:-2]
                if marker not in inner:
                    ln.text = _strip_md_inline(joined)
                    ln.bold = True
                    out.append(ln)
                    for k in range(i + 1, j + 1):
                        lines[k].gone = "noise"
                        lines[k].text = ""
                    i = j + 1
                    continue
        if _MD_LIST.match(t):
            rest = _strip_md_inline(_MD_LIST.sub("", t, count=1))
            lab = list_label(rest)
            ln.text = rest if lab and lab.style in ("paren", "dot") else "• " + rest
            ln.bullet = True
            out.append(ln)
            i += 1
            continue
        ln.text = _strip_md_inline(t)
        out.append(ln)
        i += 1
    # Merged bold runs left lines out: renumber, so that ``idx`` is again the position
    # in the list the later steps index (``lines[ln.idx - 1]`` is the previous line).
    for n, ln in enumerate(out):
        ln.idx = n
    return out


# ---------------------------------------------------------------------------------------
# 3. Running headers, footers and page numbers
# ---------------------------------------------------------------------------------------


def _running_key(text: str) -> str:
    t = re.sub(r"\d+", "#", text.lower())
    return " ".join(t.split())


def _is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text))


def _strong_heading(text: str) -> bool:
    guess = classify_heading(text)
    return guess is not None and guess.family not in ("plain",)


def _running_lines(lines: list[_Line], paged: bool) -> int:
    """Mark running headers/footers and page numbers as gone; returns how many."""
    count = 0
    if paged:
        by_page: dict[int | None, list[_Line]] = {}
        for ln in lines:
            by_page.setdefault(ln.page, []).append(ln)
        pages = list(by_page.values())
        edges: list[list[_Line]] = []
        for pls in pages:
            nonblank = [ln for ln in pls if ln.text]
            edges.append(nonblank[:2] + nonblank[-2:] if len(nonblank) > 4 else nonblank)
        seen: Counter[str] = Counter()
        for edge in edges:
            for key in {_running_key(ln.text) for ln in edge if len(ln.text) <= 100}:
                seen[key] += 1
        n = len(pages)
        need = 2 if n <= 4 else max(2, round(0.25 * n))
        for edge in edges:
            for ln in edge:
                key = _running_key(ln.text)
                if ln.gone:
                    continue
                if _is_page_number(ln.text) or (
                    _ROMAN_PAGE.match(ln.text) and ln in (edge[0], edge[-1])
                ):
                    ln.gone = "pagenum"
                elif seen[key] >= need and len(ln.text) <= 120 and key.strip("# "):
                    ln.gone = "header"
        return sum(1 for ln in lines if ln.gone in ("pagenum", "header"))

    texts = [ln for ln in lines if ln.text]
    for ln in texts:
        if _is_page_number(ln.text):
            ln.gone = "pagenum"
            ln.brk = True
            count += 1
    # Short lines repeated three times or more, far apart (running headers/footers).
    positions: dict[str, list[int]] = {}
    for ln in texts:
        if ln.gone or len(ln.text) > 80 or not any(ch.isalpha() for ch in ln.text):
            continue
        k = ln.idx
        before_ok = k == 0 or not lines[k - 1].text or bool(lines[k - 1].gone)
        after_ok = k + 1 >= len(lines) or not lines[k + 1].text or bool(lines[k + 1].gone)
        if not (before_ok and after_ok):
            continue  # a running header stands alone between blank lines
        positions.setdefault(_running_key(ln.text), []).append(ln.idx)
    for key, idxs in positions.items():
        if len(idxs) < 3 or not key.strip("# "):
            continue
        gaps = [b - a for a, b in itertools.pairwise(idxs)]
        if min(gaps) < 15:
            continue
        sample = lines[idxs[0]].text
        if _strong_heading(sample):
            continue
        for i in idxs:
            lines[i].gone = "header"
            lines[i].brk = True
            count += 1
    # A short isolated line right before a lone page number (a header printed above it).
    for k, ln in enumerate(lines):
        if ln.gone != "pagenum":
            continue
        j = k - 1
        while j >= 0 and not lines[j].text and k - j <= 4:  # bounded: 4 lines
            j -= 1
        if j < 0 or k - j > 4 or lines[j].gone:
            continue
        cand = lines[j]
        prev_blank = j == 0 or not lines[j - 1].text
        if (
            prev_blank
            and len(cand.text) <= 80
            and not ends_period(cand.text)
            and not list_label(cand.text)
            and not _strong_heading(cand.text)
        ):
            cand.gone = "header"
            cand.brk = True
            count += 1
    # Document symbols next to page numbers ("A/63/265").
    for k, ln in enumerate(lines):
        if ln.text and not ln.gone and _DOC_SYMBOL.match(ln.text):
            near = [x for x in lines[max(0, k - 3) : k + 4] if x.gone == "pagenum"]
            if near:
                ln.gone = "header"
                ln.brk = True
                count += 1
    return count


# ---------------------------------------------------------------------------------------
# 4. Footnotes
# ---------------------------------------------------------------------------------------


@dataclass
class _Note:
    number: int
    lines: list[_Line]
    zone_line: int  # index (in the live list) of the first line of its zone
    ref_line: int | None = None  # idx of the body line carrying its mark


def _is_separator(ln: _Line) -> bool:
    return ln.raw_space_only or bool(_RULE.match(ln.text))


def _footnote_start(ln: _Line, expected: int, first: bool = False) -> int | None:
    """The footnote number ``ln`` starts with: the next expected one (or up to two more,
    a note may be lost), or any number for the first footnote of an excerpt."""
    if not ln.text:
        return None
    m = _FOOTNOTE_START.match(ln.text)
    if not m:
        return None
    n = int(m.group(1))
    if not (expected <= n <= expected + 2 or (first and 1 <= n <= 300)):
        return None
    rest = ln.text[m.end() :]
    if not rest or rest[0] in ".)" or not (starts_upper(rest) or rest[0] in "«\"“(‘'"):
        return None
    return n


def _footnotes(lines: list[_Line], paged: bool) -> list[_Note]:
    notes: list[_Note] = []
    expected = 1
    i = 0
    n_lines = len(lines)
    bound = _Bound("footnotes", n_lines)
    while i < n_lines:
        bound.tick()
        ln = lines[i]
        sep_before = _separator_before(lines, i)
        number = _footnote_start(ln, expected, first=not notes and sep_before)
        if number is not None and (sep_before or (paged and _in_page_tail(lines, i))):
            j = _take_zone(lines, i, notes, expected, paged)
            expected = notes[-1].number + 1 if notes else expected
            i = max(j, i + 1)  # always advance
            continue
        # A footnote continued from the previous page, after the next separator.
        if (
            sep_before
            and notes
            and ln.text
            and starts_lower(ln.text)
            and not ends_period(notes[-1].lines[-1].text)
            and not _footnote_start(ln, expected)
        ):
            j = i
            while j < n_lines and lines[j].text and not _resumes_body(lines[j], lines[j - 1]):
                if j > i and _footnote_start(lines[j], expected) is not None:
                    break
                lines[j].gone = "footnote"
                notes[-1].lines.append(lines[j])
                j += 1
            if j == i:
                # The first line already resumes the body (indented, a "(a)" item…):
                # nothing continues the footnote here; move on to the next line.
                i += 1
                continue
            _mark_break(lines, i, j)
            if j < n_lines and _footnote_start(lines[j], expected) is not None:
                j = _take_zone(lines, j, notes, expected, paged)
                expected = notes[-1].number + 1
            i = j
            continue
        i += 1
    return notes


def _separator_before(lines: list[_Line], i: int) -> bool:
    for k in range(i - 1, max(-1, i - 4), -1):
        if _is_separator(lines[k]):
            return True
        if lines[k].text:
            return False
    return False


def _in_page_tail(lines: list[_Line], i: int) -> bool:
    page = lines[i].page
    same = [k for k in range(len(lines)) if lines[k].page == page]
    if not same:
        return False
    pos = (i - same[0]) / max(1, len(same))
    return pos >= 0.4


def _resumes_body(ln: _Line, prev: _Line) -> bool:
    """A line inside a footnote zone that is really the body resuming (next page)."""
    if ln.indent >= 1 and ln.text and not _FOOTNOTE_START.match(ln.text):
        return True
    lab = list_label(ln.text)
    if lab is not None and lab.style == "paren":
        return True
    return bool(prev.text) and ends_period(prev.text) and starts_lower(ln.text)


def _looks_like_body_start(ln: _Line, prev: _Line) -> bool:
    """A heading or a labelled list item after a finished footnote: the body again."""
    if not ends_period(prev.text):
        return False
    lab = list_label(ln.text)
    if lab is not None and lab.style != "dash":
        return True
    guess = classify_heading(ln.text)
    return guess is not None and guess.strong and guess.family != "plain"


def _take_zone(lines: list[_Line], i: int, notes: list[_Note], expected: int, paged: bool) -> int:
    j = i
    page = lines[i].page
    current: _Note | None = None
    bound = _Bound("footnote zone", len(lines) - i)
    while j < len(lines):
        bound.tick()
        ln = lines[j]
        if paged and ln.page != page:
            break
        if not ln.text:
            if paged:  # in a paged document the zone runs to the page end
                j += 1
                continue
            break
        n = _footnote_start(ln, expected, first=current is None and not notes)
        if n is not None:
            current = _Note(number=n, lines=[ln], zone_line=i)
            notes.append(current)
            expected = n + 1
        elif current is None or (not paged and _resumes_body(ln, lines[j - 1])):
            break
        elif paged and _looks_like_body_start(ln, lines[j - 1]):
            break  # text printed after the notes in the page's content stream
        else:
            current.lines.append(ln)
        ln.gone = "footnote"
        j += 1
    _mark_break(lines, i, j)
    return j


def _propagate_breaks(lines: list[_Line]) -> None:
    """Move page-break marks from removed or blank lines to the last body line before."""
    last: _Line | None = None
    for ln in lines:
        if ln.text and not ln.gone:
            last = ln
        elif last is not None and (ln.brk or ln.gone in ("header", "pagenum", "footnote")):
            last.brk = True


def _mark_break(lines: list[_Line], i: int, j: int) -> None:
    """Note that a zone was removed between lines[i-1] and lines[j]."""
    k = i - 1
    while k >= 0 and (lines[k].gone or not lines[k].text):  # bounded: k decreases to -1
        if _is_separator(lines[k]) and not lines[k].text:
            lines[k].gone = "rule"
        k -= 1
    if k >= 0:
        lines[k].brk = True


# ---------------------------------------------------------------------------------------
# 5. Footnote reference marks in the body
# ---------------------------------------------------------------------------------------


def _mark_patterns(n: int) -> list[re.Pattern[str]]:
    num = str(n)
    return [
        # glued to a word or a closing punctuation: "migratoires.3 Ces", "FMMD2."
        re.compile(rf"(?<=[^\W\d_]|[.,;:!?)\]»”’\"])(?<!\d[.,])({num})(?=[\s.,;:!?)\]»”’\"]|$)"),
        # glued to a year: "octobre 20114" = 2011 + note 4
        re.compile(rf"(?<!\d)(?:19|20)\d\d({num})(?!\d)"),
        # separated by a space at the end of a line: "30 juin 2011 6"
        re.compile(rf"(?<=\S) ({num})$"),
    ]


def _reference_marks(lines: list[_Line], notes: list[_Note]) -> None:
    body_idx = [k for k, ln in enumerate(lines) if not ln.gone and ln.text]
    pos = 0  # index into body_idx from which the next mark is searched
    for note in notes:
        zone = note.zone_line
        window = [b for b in body_idx[pos:] if b < zone and zone - b <= 250]
        found = False
        for b in window:
            ln = lines[b]
            for kind, pat in enumerate(_mark_patterns(note.number)):
                m = pat.search(ln.text)
                if not m:
                    continue
                if kind == 2 and not _plausible_spaced_mark(lines, b, m.start()):
                    continue
                s, e = m.span(1)
                if kind == 2:
                    s -= 1  # the space before the number goes too
                ln.text = (
                    (ln.text[:s] + ln.text[e:]).rstrip()
                    if e == len(ln.text)
                    else ln.text[:s] + ln.text[e:]
                )
                ln.refs.append(note.number)
                note.ref_line = ln.idx
                found = True
                break
            if found:
                pos = body_idx.index(b)
                break


def _plausible_spaced_mark(lines: list[_Line], b: int, at: int) -> bool:
    before = lines[b].text[:at].split()
    if not before or _NUMBERED_NOUNS.search(before[-1]):
        return False
    for k in range(b + 1, min(len(lines), b + 6)):
        if lines[k].gone or not lines[k].text:
            continue
        return list_label(lines[k].text) is not None or not starts_lower(lines[k].text)
    return True


# ---------------------------------------------------------------------------------------
# 6. Segments and the final text
# ---------------------------------------------------------------------------------------


def _vocabulary(texts: Iterable[str]) -> Counter[str]:
    vocab: Counter[str] = Counter()
    for t in texts:
        for w in _WORDS.findall(t.lower()):
            vocab[w] += 1
            for part in w.split("-"):
                if part != w:
                    vocab[part] += 1
    return vocab


def _join_hyphen(left: str, right: str, vocab: Counter[str]) -> str:
    """Join ``left`` (ending with "-") and ``right`` (the next line)."""
    if left.endswith("\u00ad"):
        return left[:-1] + right
    head = re.search(r"([^\W\d_]+)-$", left)
    tail = re.match(r"([^\W\d_]+)", right)
    if not head or not tail or not starts_lower(right):
        return left + right  # "Afrique-" + "UE": keep the hyphen, no space
    a, b = head.group(1).lower(), tail.group(1).lower()
    tail_word = re.match(r"[^\W\d_]+(?:[’'][^\W\d_]+)?", right)
    hyphenated = f"{a}-{tail_word.group(0).lower() if tail_word else b}"
    joined = a + b
    if vocab.get(hyphenated, 0) >= 1 and vocab.get(joined, 0) == 0:
        return left + right
    if vocab.get(joined, 0) >= 1:
        return left[:-1] + right
    if a in _KEEP_HYPHEN_FIRST or b in _KEEP_HYPHEN_SECOND:
        return left + right
    if vocab.get(b, 0) >= 2 or (tail_word and "’" in tail_word.group(0)):
        return left + right  # the second part is a word on its own: a real compound
    return left[:-1] + right


def _line_width(lines: list[_Line]) -> float:
    lengths = sorted(len(ln.text) for ln in lines if ln.text)
    if not lengths:
        return 80.0
    return float(lengths[int(0.9 * (len(lengths) - 1))]) or 80.0


@dataclass
class _Seg:
    kind: BlockKind
    lines: list[_Line]
    label: str = ""
    family: str = ""
    indent: int = 0


def _is_item_start(ln: _Line, prev: _Line | None, cur: _Seg | None, gap: str) -> str | None:
    """The list label if ``ln`` starts a list item here, else None."""
    lab = list_label(ln.text)
    if lab is None:
        return None
    if cur is not None and cur.kind == "heading":
        return lab.label
    if (
        lab.style == "dash"
        and not ln.bullet
        and prev is not None
        and gap == ""
        and not ends_sentence(prev.text)
    ):
        return None  # a dash that wrapped to the line start, not a bullet
    if gap or prev is None or (cur is not None and cur.kind == "heading"):
        return lab.label
    if ends_sentence(prev.text) or prev.text.endswith("•"):
        return lab.label
    if cur is not None and cur.kind == "list_item" and lab.label in next_labels(cur.label):
        return lab.label
    return None


def _heading_run(
    lines: list[_Line], i: int, width: float, gap_before: bool
) -> tuple[int, HeadingGuess] | None:
    """If lines[i] starts a heading, return (number of lines it spans, guess)."""
    ln = lines[i]
    if ln.md_level:
        guess = classify_heading(ln.text, md_level=ln.md_level)
        return (1, guess) if guess else None
    run = [ln]
    j = i + 1
    while j < len(lines) and len(run) < 5:  # bounded: 5 lines
        nxt = lines[j]
        if not nxt.text or run[-1].brk or list_label(nxt.text) or nxt.md_level:
            break
        run.append(nxt)
        j += 1
    followed_by_gap = j >= len(lines) or not lines[j].text or run[-1].brk
    for k in range(len(run), 0, -1):
        cand = run[:k]
        if k > 1 and not all(_wraps(cand[m - 1].text, cand[m].text, width) for m in range(1, k)):
            continue
        text = " ".join(x.text for x in cand)
        guess = classify_heading(text, bold=cand[0].bold)
        if guess is None:
            continue
        if len(text) > HEADING_MAX_CHARS.get(guess.family.rstrip("1234"), 320):
            continue
        ends_here = k == len(run) and followed_by_gap
        nxt_line = run[k] if k < len(run) else (lines[j] if j < len(lines) else None)
        if not ends_here and nxt_line is not None and not list_label(nxt_line.text):
            if starts_lower(nxt_line.text):
                continue
            elif len(cand[-1].text) > (0.8 if guess.strong else 0.75) * width:
                continue  # a full-width line: the first line of a paragraph
        if not guess.strong and not gap_before and k == 1 and not ends_here:
            # a short plain line inside running text: only after a sentence end
            pass
        return k, guess
    return None


def _wraps(left: str, right: str, width: float) -> bool:
    """Whether ``right`` continues the heading line ``left`` (the heading wrapped)."""
    if starts_lower(right) or re.search(r"[,:–—\-(/&]$", left) or _DANGLING_END.search(left):
        return len(left) >= 0.45 * width
    if _caps(left) and _caps(right):
        return len(left) >= 0.45 * width
    return len(left) >= 0.8 * width


def _caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


def _segments(body: list[_Line], width: float) -> list[_Seg]:
    segs: list[_Seg] = []
    cur: _Seg | None = None
    prev: _Line | None = None
    gap = ""  # "", "hard" (blank lines) or "soft" (page break / removed zone)
    i = 0
    bound = _Bound("segments", len(body))
    while i < len(body):
        bound.tick()
        ln = body[i]
        if not ln.text:
            if ln.brk:
                gap = "soft"
            elif gap != "soft":
                gap = "hard"
            i += 1
            continue
        if prev is not None and prev.brk:
            gap = "soft"
        if ln.text == "•":  # a bullet glyph alone on its line: the next text is an item
            j = i + 1
            while j < len(body) and not body[j].text:  # bounded: j increases to len(body)
                j += 1
            if j < len(body):
                body[j].text = "• " + body[j].text.lstrip("• ")
                body[j].bullet = True
            i += 1
            gap = gap or "hard"
            continue

        label = _is_item_start(ln, prev, cur, gap)
        heading = None
        can_head = (
            prev is None
            or gap
            or ends_sentence(prev.text)
            or (cur is not None and cur.kind == "heading")
        )
        if label is not None and label.isdigit() and can_head:
            # "1. INTRODUCTION" is a heading, "1. Le Dialogue de haut niveau…" an item
            heading = _heading_run(body, i, width, bool(gap) or prev is None)
            if heading is not None and heading[1].family.startswith("arabic"):
                label = None
            else:
                heading = None
        if label is None and can_head and heading is None:
            heading = _heading_run(body, i, width, bool(gap) or prev is None)
            # a plain heading right under text must be short (a full-width line is the
            # first line of the next paragraph)
            if (
                heading
                and not heading[1].strong
                and prev is not None
                and not gap
                and len(ln.text) > 0.7 * width
            ):
                heading = None

        if heading is not None:
            k, guess = heading
            segs.append(
                _Seg("heading", body[i : i + k], label="", family=guess.family, indent=ln.indent)
            )
            segs[-1].label = guess.label
            cur = segs[-1]
            prev = body[i + k - 1]
            gap = ""
            i += k
            continue

        join = False
        if cur is not None and cur.kind in ("paragraph", "list_item") and prev is not None:
            if not gap:
                join = label is None and not _para_break(prev, ln, width)
            elif gap == "hard":
                join = (
                    label is None
                    and not ends_sentence(prev.text)
                    and (starts_lower(ln.text) or bool(_DANGLING_END.search(prev.text)))
                )
            else:  # soft: a page break or a removed header/footnote zone
                join = label is None and not ends_sentence(prev.text)
                if join and not starts_lower(ln.text):
                    run = _heading_run(body, i, width, True)
                    if run is not None and run[1].strong:
                        join = False
        if join and cur is not None:
            cur.lines.append(ln)
        else:
            if label is not None:
                cur = _Seg("list_item", [ln], label=label, indent=ln.indent)
            else:
                cur = _Seg("paragraph", [ln], indent=ln.indent)
            segs.append(cur)
        prev = ln
        gap = ""
        i += 1
    return segs


def _para_break(prev: _Line, ln: _Line, width: float) -> bool:
    """Whether adjacent lines belong to different paragraphs (no blank line between)."""
    if not ends_sentence(prev.text):
        return False
    if ln.indent >= 2 and starts_upper(ln.text) and ends_period(prev.text):
        return True
    # a short line ending a sentence, then a capital: the paragraph ended (PDF text
    # without blank lines between paragraphs)
    return len(prev.text) < 0.6 * width and starts_upper(ln.text) and ends_period(prev.text)


def _render(lines: list[_Line], vocab: Counter[str]) -> tuple[str, list[int]]:
    """Join the lines of one segment; return the text and each line's start offset."""
    out = ""
    starts: list[int] = []
    for ln in lines:
        t = ln.text
        if not out:
            starts.append(0)
            out = t
            continue
        if out.endswith("\u00ad") or (out.endswith("-") and re.search(r"[^\W\d_]-$", out)):
            joined = _join_hyphen(out, t, vocab)
            starts.append(len(joined) - len(t))
            out = joined
        else:
            starts.append(len(out) + 1)
            out = out + " " + t
    return out.replace("\u00ad", ""), starts


def _assemble(
    body: list[_Line],
    notes: list[_Note],
    vocab: Counter[str],
    raw: RawDocument,
    removed: int,
    headers: tuple[str, ...] = (),
) -> CleanText:
    width = _line_width(body)
    segs = _segments(body, width)
    parts: list[str] = []
    segments: list[Segment] = []
    line_offset: dict[int, int] = {}  # line idx -> offset of its text in the document
    pos = 0
    for seg in segs:
        text, starts = _render(seg.lines, vocab)
        text = text.strip()
        if not text:
            continue
        if parts:
            pos += 2
        for ln, s in zip(seg.lines, starts, strict=True):
            line_offset[ln.idx] = pos + s
        pages = [ln.page for ln in seg.lines if ln.page is not None]
        segments.append(
            Segment(
                kind=seg.kind,
                start=pos,
                end=pos + len(text),
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                label=seg.label,
                heading_family=seg.family,
                indent=seg.indent,
            )
        )
        parts.append(text)
        pos += len(text)
    body_end = pos

    # Page spans: from the first to the last character of each page's body lines.
    page_numbers = [p.number for p in raw.pages if p.number is not None]
    spans: list[PageSpan] = []
    if page_numbers:
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for seg in segs:
            for ln in seg.lines:
                if ln.idx not in line_offset or ln.page is None:
                    continue
                s = line_offset[ln.idx]
                first.setdefault(ln.page, s)
                first[ln.page] = min(first[ln.page], s)
                last[ln.page] = max(last.get(ln.page, s), s + len(ln.text))
        cursor = 0
        for number in page_numbers:
            if number in first:
                start = max(first[number], cursor)
                end = max(start, min(last[number], body_end))
            else:
                start = end = cursor
            spans.append(PageSpan(number=number, start=start, end=end))
            cursor = end

    # Footnotes after the body.
    footnotes: list[Footnote] = []
    body_lines = {ln.idx for ln in body}
    ordered_idx = sorted(line_offset)
    for note in notes:
        text, _ = _render(note.lines, vocab)
        text = text.strip()
        if not text:
            continue
        pos += 2
        start = pos
        parts.append(text)
        pos += len(text)
        pages = [ln.page for ln in note.lines if ln.page is not None]
        anchor_line = note.ref_line
        referenced = anchor_line is not None
        if anchor_line is None or anchor_line not in body_lines:
            zone_idx = note.lines[0].idx
            before = [k for k in ordered_idx if k < zone_idx]
            anchor_line = before[-1] if before else None
        anchor = line_offset.get(anchor_line, 0) if anchor_line is not None else 0
        segments.append(
            Segment(
                kind="footnote",
                start=start,
                end=pos,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                label=str(note.number),
            )
        )
        footnotes.append(
            Footnote(
                number=note.number,
                start=start,
                end=pos,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                anchor=anchor,
                referenced=referenced,
            )
        )
    text = "\n\n".join(parts)
    assert len(text) == pos, (len(text), pos)
    return CleanText(
        text=text,
        body_end=body_end,
        pages=tuple(spans),
        footnotes=tuple(footnotes),
        segments=tuple(segments),
        removed_lines=removed,
        running_headers=headers,
    )
