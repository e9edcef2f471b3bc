"""Structure of a cleaned report: headings, list items, paragraphs, footnotes and section paths.

Two layers live here:

1. Line classifiers used while cleaning (:func:`list_label`, :func:`classify_heading`):
   pure functions on one line (or a few wrapped lines) of text.
2. :func:`parse_blocks`, which turns the provisional segments found by
   :func:`ingest.clean.clean_pages` into :class:`~ingest.models.Block` values with
   heading levels and section paths, using the document-wide context (sequences of list
   labels, headings repeated in a table of contents, headings with no content, runs of
   bullets whose glyph the PDF extraction lost).

Heading families and how they nest (outermost first):

- ``annex``: "Annexe", "Annex", "Anexo" — always top level.
- numbered families, nested in the order they first appear in the document: roman
  chapters ("II.", "I. Introduction"), upper-case letters ("A."), arabic numbers by depth
  ("1.", "2.1", "4.1.2"), "Sous-thème 1 :" / "Sub-theme 1:" / "Subtema 1:", Markdown
  ``#`` levels of unnumbered Markdown headings.
- ``meeting``: "Table ronde 1.1 :", "Roundtable 2.2:", "Mesa redonda 1.1:", "Session 3.3",
  "Réunion thématique :", "Thematic meeting:", "Reunión temática:" — nested like the
  numbered families, by first appearance: under the chapters that come before the first
  meeting heading (the usual case), above them when the document starts with it (a
  roundtable paper titled "Roundtable 2.2: …" with numbered chapters).
- ``submeeting``: a lettered item ("a) Profils migratoires : …, New York, …, 2011") that
  directly follows a meeting heading — under its meeting.
- ``listhead`` / ``section`` / ``plain``: "Messages essentiels…", "Key messages",
  "Questions directrices", "Guiding questions", "Résultats attendus", "Recommendations",
  "Marches à suivre possibles", "Introduction", "Résumé", un-numbered short title lines —
  siblings of each other under the nearest meeting or numbered heading.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, TypedDict

from ingest.models import Block, BlockKind, Document

if TYPE_CHECKING:
    from ingest.clean import CleanText

# ---------------------------------------------------------------------------------------
# Character classes and small predicates
# ---------------------------------------------------------------------------------------

BULLET_CHARS = "•▪▫◦●○■□►▶➢➤✓✔❖◆◇·"
"""Glyphs printed as list bullets; a line starting with one is a bullet list item."""

_CLOSERS = "»”’\"')]"
_TERMINAL = ".!?:;…"

_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def roman_value(s: str) -> int | None:
    """Value of a well-formed roman numeral (any case, up to 3999), else ``None``."""
    s = s.lower()
    if not s or any(ch not in _ROMAN_VALUES for ch in s):
        return None
    total, prev = 0, 0
    for ch in reversed(s):
        v = _ROMAN_VALUES[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total if to_roman(total) == s else None


def to_roman(n: int) -> str:
    """Lower-case roman numeral of ``n`` (1..3999)."""
    out = []
    for v, sym in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= v:
            out.append(sym)
            n -= v
    return "".join(out)


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with terminal punctuation (``. ! ? : ; …``), possibly
    followed by closing quotes or brackets."""
    s = line.rstrip().rstrip(_CLOSERS).rstrip()
    return bool(s) and s[-1] in _TERMINAL


def ends_period(line: str) -> bool:
    """True if ``line`` ends a sentence with ``.``, ``!``, ``?`` or ``…`` (not ``:``/``;``)."""
    s = line.rstrip().rstrip(_CLOSERS).rstrip()
    return bool(s) and s[-1] in ".!?…"


def first_letter(line: str) -> str:
    """The first alphabetic character of ``line`` (skipping quotes, brackets, digits
    are NOT skipped: returns ``""`` if a digit comes first)."""
    for ch in line:
        if ch.isalpha():
            return ch
        if ch.isdigit():
            return ""
    return ""


def starts_lower(line: str) -> bool:
    """True if the first letter of ``line`` is lower case (a continued sentence)."""
    ch = first_letter(line)
    return bool(ch) and ch.islower()


def starts_upper(line: str) -> bool:
    """True if the first letter of ``line`` is upper case."""
    ch = first_letter(line)
    return bool(ch) and ch.isupper()


def norm_key(text: str) -> str:
    """Comparison key of a heading: lower case, accents and punctuation removed, spaces
    collapsed ("Table ronde 2.2 : Favoriser" == "Table ronde 2.2 Favoriser")."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = re.sub(r"[^\w]+", " ", t)
    return " ".join(t.split())


# ---------------------------------------------------------------------------------------
# List labels
# ---------------------------------------------------------------------------------------

_PAREN_LABEL = re.compile(r"^\(?((?:[ivxlc]{1,6})|[a-z]|\d{1,3})\)\s+(?=\S)")
_DOT_NUMBER = re.compile(r"^(\d{1,3})\.\s+(?=\S)")
_DOT_LETTER = re.compile(r"^([a-z])\.\s+(?=[^\W\d_])")
_BULLET_START = re.compile(rf"^[{BULLET_CHARS}]\s*(?=\S)")
_DASH_START = re.compile(r"^[-–—*+]\s+(?=\S)")


@dataclass(frozen=True)
class ListLabel:
    """A list label found at the start of a line.

    Attributes:
        label: as printed, without brackets or dot ("iii", "b", "2", "•").
        style: ``"paren"`` (``a)``, ``(iii)``), ``"dot"`` (``1.``, ``a.``), ``"bullet"``
            (a glyph) or ``"dash"`` (``-``/``–`` used as a bullet).
        width: characters the label and the following spaces take at the line start.
    """

    label: str
    style: str
    width: int


def list_label(line: str) -> ListLabel | None:
    """The list label a line starts with, if any.

    Recognised: ``i)`` ``(ii)`` ``a)`` ``(b)`` ``1)`` ``(2)`` ``1.`` ``a.`` and the
    bullet glyphs of :data:`BULLET_CHARS`; ``-``/``–``/``*`` followed by a space are
    returned with style ``"dash"`` (the caller decides from context whether they are
    bullets: in PDF text a wrapped line may begin with a dash).
    """
    if m := _PAREN_LABEL.match(line):
        return ListLabel(m.group(1), "paren", m.end())
    if m := _DOT_NUMBER.match(line):
        return ListLabel(m.group(1), "dot", m.end())
    if m := _DOT_LETTER.match(line):
        return ListLabel(m.group(1), "dot", m.end())
    if m := _BULLET_START.match(line):
        return ListLabel("•", "bullet", m.end())
    if m := _DASH_START.match(line):
        return ListLabel("•", "dash", m.end())
    return None


def next_labels(label: str) -> set[str]:
    """Labels that may follow ``label`` in the same list ("ii" -> {"iii"}, "h" -> {"i"},
    "i" -> {"ii", "j"}, "3" -> {"4"}, "•" -> {"•"})."""
    if label == "•":
        return {"•"}
    if label.isdigit():
        return {str(int(label) + 1)}
    out: set[str] = set()
    if (v := roman_value(label)) is not None:
        out.add(to_roman(v + 1))
    if len(label) == 1 and label.isalpha() and label != "z":
        out.add(chr(ord(label) + 1))
    return out


def label_end(text: str) -> int:
    """Offset in a list item's text where the item itself begins (after its printed label
    and spaces); 0 when the item has no printed label (a bullet lost in extraction).

    Example: ``label_end("ii) Les gouvernements…") == 4``. Element extraction uses it to
    cut the label off: ``doc.text[block.start + label_end(block_text):block.end]``.
    """
    lab = list_label(text)
    return lab.width if lab else 0


# ---------------------------------------------------------------------------------------
# Headings
# ---------------------------------------------------------------------------------------

_ANNEX = re.compile(r"^(?:annexe?s?|anexos?)\b(?:\s+[A-Z0-9IVX]{1,4}\b)?", re.IGNORECASE)
_ROMAN_HEAD = re.compile(r"^([IVXLC]{1,7})[.)]\s+(?=\S)")
_LETTER_HEAD = re.compile(r"^([A-H])[.)]\s+(?=[^\W\d_])")
_ARABIC_HEAD = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+(?=\S)")
_SUBTHEME = re.compile(
    r"^(?:sous-thème|sous-theme|sub-?theme|subtema|sub-?tema)\s+(\d{1,2}|[IVX]{1,4})\b",
    re.IGNORECASE,
)
_MEETING = re.compile(
    r"^(?:(?:table[- ]ronde|round[- ]?table|mesa[- ]redonda|session|séance|sesión|rt)\s+"
    r"\d{1,2}(?:\.\d{1,2})?\b"
    r"|(?:réunions?|ateliers?)\s+thématiques?\b"
    r"|thematic\s+(?:meetings?|workshops?)\b"
    r"|(?:reuni(?:ón|ones)|talleres?)\s+temátic[oa]s?\b)",
    re.IGNORECASE,
)
_LISTHEAD = re.compile(
    r"^(?:"
    # French
    r"(?:principaux\s+)?messages?(?:\s+(?:essentiels?|clés?|principaux|importants))?\b"
    r"|questions?\s+(?:pour\s+orienter|directrices?|d[’']orientation|à\s+débattre"
    r"|pour\s+(?:la\s+discussion|le\s+débat)|clés|proposées|de\s+discussion)\b"
    r"|questions\s*:?$"
    r"|marches?\s+à\s+suivre\b|pistes?\s+(?:d[’']action|à\s+suivre)\b"
    r"|résultats?\s+attendus?\b|recommandations?\b|conclusions?\s+et\s+recommandations?\b"
    # English
    r"|key\s+messages?\b|main\s+messages?\b|guiding\s+questions?\b"
    r"|questions?\s+(?:for|to\s+guide|to\s+orient)\b|discussion\s+questions?\b"
    r"|recommendations?\b|(?:possible\s+)?ways?\s+forward\b|expected\s+(?:outcomes?|results?)\b"
    # Spanish
    r"|mensajes?\s+(?:clave|principales|esenciales)\b|preguntas?\s+(?:orientadoras?|para|de\s+"
    r"(?:orientación|debate|discusión))\b|recomendaciones\b"
    r"|(?:posibles\s+)?(?:vías|pasos|caminos)\s+a\s+seguir\b|resultados?\s+esperados?\b"
    r")",
    re.IGNORECASE,
)
_SECTION_WORDS = re.compile(
    r"^(?:introduction|introducción|résumé(?:\s+analytique)?|summary|executive\s+summary"
    r"|resumen(?:\s+ejecutivo)?|contexte|background|antecedentes|contexto"
    r"|conclusions?|conclusiones|objectifs?|objectives?|objetivos?"
    r"|(?:principaux\s+)?thèmes\s+principaux|thèmes\s+principaux|main\s+themes|key\s+themes"
    r"|temas\s+principales|notes?|références|references|referencias|bibliograph\w*"
    r"|acronymes|acronyms|acrónimos|sigles|abréviations|abbreviations)\b",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"^(?:figure|fig\.|tableau|table|graphique|encadré|box|chart|cuadro|gráfico|recuadro"
    r"|source|sources|fuente|note|nota)\b(?!\s+ronde)",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"\b(?:de|des|du|d[’']|la|le|les|l[’']|et|à|au|aux|en|pour|par|sur|dans|avec|un|une"
    r"|of|the|and|to|in|for|on|by|with|a|an|y|el|los|las|del|al|con|por|para|que)$",
    re.IGNORECASE,
)

HEADING_MAX_CHARS = {
    "plain": 90,
    "section": 160,
    "listhead": 220,
    "meeting": 320,
    "subtheme": 320,
    "annex": 160,
    "roman": 220,
    "LETTER": 220,
    "arabic": 160,
}
"""Longest text (characters, wrapped lines joined) a heading of each family may have."""


@dataclass(frozen=True)
class HeadingGuess:
    """What :func:`classify_heading` found.

    Attributes:
        family: ``annex``, ``roman``, ``LETTER``, ``arabic1``..``arabic4``, ``md1``..
            ``md6``, ``subtheme``, ``meeting``, ``listhead``, ``section`` or ``plain``.
        label: the section number as printed ("2.1", "II", "A"), or "".
        strong: True for families recognised by their wording or numbering (they may be
            longer and need no blank line after them); False for ``plain`` guesses.
    """

    family: str
    label: str = ""
    strong: bool = True


def classify_heading(text: str, *, md_level: int = 0, bold: bool = False) -> HeadingGuess | None:
    """Decide whether a (possibly wrapped, joined) line reads like a heading.

    This looks at the text alone; the caller checks the layout (a blank line or a list
    after it, the preceding line ending a sentence, the line being short).

    Args:
        text: the candidate, whitespace-normalised, wrapped lines joined by spaces.
        md_level: its Markdown ``#`` level (0 if none).
        bold: the whole line was Markdown bold (``**…**``).

    Returns:
        The heading family, or ``None`` if the text is not heading-like: too long for its
        family, ending with a sentence period/comma, a question, a list item, starting
        lower case, or a figure/table caption.
    """
    t = text.strip()
    if not t or len(t) < 2:
        return None
    if md_level:
        if m := _ARABIC_HEAD.match(t):
            return HeadingGuess(f"arabic{m.group(1).count('.') + 1}", m.group(1))
        return HeadingGuess(f"md{md_level}")
    tail = t.rstrip(_CLOSERS + " ")
    last = tail[-1:] if tail else ""
    if last in ",;" or t.endswith("?"):
        return None
    if _CAPTION.match(t) and not _MEETING.match(t):
        return None
    ends_dot = last == "." and not re.search(r"\b(?:etc|[A-Z])\.$", tail)

    dangling = bool(_DANGLING.search(tail))

    def fits(family: str) -> bool:
        # a heading never ends with an article or a preposition (that is a wrapped line)
        return len(t) <= HEADING_MAX_CHARS[family] and not ends_dot and not dangling

    if _ANNEX.match(t) and fits("annex") and not re.match(r"^annexe?s?\s+(?:[a-z]{3,})", t):
        return HeadingGuess("annex")
    m = _ROMAN_HEAD.match(t)
    if (
        m
        and m.group(1) not in ("C", "L")  # "C." is a lettered section
        and roman_value(m.group(1))
        and fits("roman")
        and starts_upper(t[m.end() :])
    ):
        return HeadingGuess("roman", m.group(1))
    m = _LETTER_HEAD.match(t)
    if m and fits("LETTER") and starts_upper(t[m.end() :]):
        return HeadingGuess("LETTER", m.group(1))
    if _SUBTHEME.match(t) and fits("subtheme"):
        return HeadingGuess("subtheme")
    if _MEETING.match(t) and fits("meeting"):
        return HeadingGuess("meeting")
    if m := _ARABIC_HEAD.match(t):
        number, dot = m.group(1), m.group(2)
        rest = t[m.end() :]
        depth = number.count(".") + 1
        if depth == 1 and not dot:
            return None  # "2011 was…", "80 participants", a footnote line
        if not fits("arabic") or not starts_upper(rest):
            return None
        if depth == 1 and not _is_caps(rest) and _DANGLING.search(tail):
            return None
        return HeadingGuess(f"arabic{depth}", number)
    if list_label(t):
        return None
    if _LISTHEAD.match(t) and fits("listhead"):
        return HeadingGuess("listhead")
    if _SECTION_WORDS.match(t) and fits("section") and not re.search(r"[.!?]\s", t):
        return HeadingGuess("section")
    if not starts_upper(t) or ends_dot or last == ":":
        return None
    if re.search(r"[.!?…]\d{1,3}$", t):  # a sentence end and its footnote mark
        return None
    if re.match(r"^\d", t):
        return None
    if bold and len(t) <= 250:
        return HeadingGuess("plain", strong=True)
    if _is_caps(t) and len(t) <= 160 and len(t.split()) >= 2:
        return HeadingGuess("plain", strong=True)
    if len(t) > HEADING_MAX_CHARS["plain"] or len(t.split()) > 14:
        return None
    if _DANGLING.search(tail):
        return None
    if re.search(r"[.!?]\s+[A-ZÀ-Ý]", t):  # two sentences
        return None
    return HeadingGuess("plain", strong=False)


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters)


# ---------------------------------------------------------------------------------------
# Blocks and section paths
# ---------------------------------------------------------------------------------------

_FIXED_RANK = {"submeeting": 1100, "listhead": 1200, "section": 1200}
_PLAIN_RANK = 1200


@dataclass
class _Item:
    kind: BlockKind
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    label: str
    family: str
    indent: int
    title: str = ""


def parse_blocks(clean: CleanText) -> tuple[Block, ...]:
    """Give the cleaned text its structure: blocks with kinds, labels, levels and sections.

    Args:
        clean: the output of :func:`ingest.clean.clean_pages`; its segments are the
            provisional blocks (one per heading, paragraph, list item, footnote).

    Returns:
        Blocks in text order (body first, then footnotes), each with ``section`` = the
        heading path it sits under (a heading's own path ends with itself) and ``level``
        = heading depth (1 = top) for headings, 0 otherwise. Footnote blocks take the
        section of the body block that carries their reference mark, or, when no mark was
        found, of the body block their page-bottom zone followed.

    The document-level rules applied here, in order:

    1. a lettered item right after a meeting heading (or after another such item with
       nothing between) is a sub-meeting heading; consecutive sub-meeting headings with
       nothing between are merged into one heading (one section for the three workshops
       a common introduction and key messages were written for);
    2. a heading whose text reappears later as a heading is a table-of-contents entry
       and becomes a paragraph;
    3. a single-level numbered heading ("2. …") that continues a numbered list ("1. …"
       list item right before) is a list item;
    4. paragraphs indented by one to three spaces in a run (bullets whose glyph the PDF
       extraction dropped) become bullet list items when the run follows a list heading
       or a line ending with ":", or all end with "?", or at least three short ones;
    5. headings nest by family (see the module docstring).
    """
    text = clean.text
    items = [
        _Item(
            kind=s.kind,
            start=s.start,
            end=s.end,
            page_start=s.page_start,
            page_end=s.page_end,
            label=s.label,
            family=s.heading_family,
            indent=s.indent,
        )
        for s in clean.segments
    ]
    body = [it for it in items if it.kind != "footnote"]
    notes = [it for it in items if it.kind == "footnote"]

    body = _submeetings(body, text)
    _toc_entries(body, text)
    _continued_numbered_lists(body, text)
    _lost_bullets(body, text)
    for it in body:
        if it.kind == "heading":
            it.title = _heading_title(text[it.start : it.end])

    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []  # (rank, title)
    order: list[str] = []  # numbered families in order of first appearance
    sections_at: list[tuple[int, tuple[str, ...]]] = []
    for it in body:
        if it.kind == "heading":
            rank = _rank(it.family, order)
            while stack and stack[-1][0] >= rank:
                stack.pop()
            stack.append((rank, it.title))
            section = tuple(t for _, t in stack)
            blocks.append(_block(it, section, level=len(stack)))
        else:
            section = tuple(t for _, t in stack)
            blocks.append(_block(it, section, level=0))
        sections_at.append((it.start, section))

    anchors = {fn.start: fn.anchor for fn in clean.footnotes}
    for it in notes:
        anchor = anchors.get(it.start)
        note_section: tuple[str, ...] = ()
        if anchor is not None:
            for start, sec in sections_at:
                if start > anchor:
                    break
                note_section = sec
        blocks.append(_block(it, note_section, level=0))
    return tuple(blocks)


def _block(it: _Item, section: tuple[str, ...], level: int) -> Block:
    return Block(
        kind=it.kind,
        start=it.start,
        end=it.end,
        section=section,
        level=level,
        label=it.label,
        page_start=it.page_start,
        page_end=it.page_end,
    )


def _heading_title(raw: str) -> str:
    """Section-path entry of a heading: its text on one line (merged sub-meeting headings
    are joined with "; ")."""
    parts = [" ".join(p.split()) for p in raw.split("\n\n") if p.strip()]
    return "; ".join(parts)


def _rank(family: str, order: list[str]) -> int:
    if family == "annex":
        return 0
    if family in _FIXED_RANK:
        return _FIXED_RANK[family]
    if family == "plain":
        return _PLAIN_RANK
    base = "arabic" if family.startswith("arabic") else family
    if base not in order:
        order.append(base)
    rank = 100 * (order.index(base) + 1)
    if base == "arabic":
        rank += int(family[len("arabic") :])
    return rank


def _submeetings(body: list[_Item], text: str) -> list[_Item]:
    out: list[_Item] = []
    for it in body:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "heading"
            and prev.family in ("meeting", "submeeting")
            and it.kind == "list_item"
            and len(it.label) == 1
            and it.label.isalpha()
        ):
            t = text[it.start : it.end]
            if len(t) <= HEADING_MAX_CHARS["meeting"] and not ends_period(t) and "?" not in t:
                if prev.family == "submeeting":
                    # Merge: one heading for sub-meetings sharing one write-up.
                    prev.end = it.end
                    prev.page_end = it.page_end if it.page_end is not None else prev.page_end
                    prev.label = f"{prev.label}-{it.label}" if prev.label else it.label
                    continue
                it.kind = "heading"
                it.family = "submeeting"
        out.append(it)
    return out


def _toc_entries(body: list[_Item], text: str) -> None:
    """Demote table-of-contents entries: headings repeated later as headings (numbering
    ignored), with (almost) no content under them or listed next to another such entry."""
    keys = [
        norm_key(_NUMBERING.sub("", text[it.start : it.end])) if it.kind == "heading" else ""
        for it in body
    ]
    repeated = [
        bool(keys[i]) and any(keys[j] == keys[i] for j in range(i + 1, len(body)))
        for i in range(len(body))
    ]
    demote: set[int] = set()
    for i in range(len(body)):
        if not repeated[i]:
            continue
        content = 0
        for j in range(i + 1, len(body)):
            if body[j].kind == "heading":
                break
            content += body[j].end - body[j].start
        after_entry = i > 0 and body[i - 1].kind == "heading" and repeated[i - 1]
        before_entry = i + 1 < len(body) and body[i + 1].kind == "heading" and repeated[i + 1]
        if content < 200 or after_entry or before_entry:
            demote.add(i)
    for i in demote:
        body[i].kind = "paragraph"
        body[i].family = ""


_NUMBERING = re.compile(r"^\s*(?:[IVXLC]{1,7}|[A-H]|\d{1,2}(?:\.\d{1,2}){0,3})[.)]?\s+")


def _continued_numbered_lists(body: list[_Item], text: str) -> None:
    prev_item: _Item | None = None
    for it in body:
        if (
            it.kind == "heading"
            and it.family == "arabic1"
            and prev_item is not None
            and prev_item.label.isdigit()
            and it.label in next_labels(prev_item.label)
        ):
            it.kind = "list_item"
            it.family = ""
        if it.kind == "list_item":
            prev_item = it
        elif it.kind == "heading":
            prev_item = None


def _lost_bullets(body: list[_Item], text: str) -> None:
    i = 0
    while i < len(body):
        if not _indented_para(body[i], text):
            i += 1
            continue
        j = i
        while j < len(body) and _indented_para(body[j], text):
            j += 1
        run = body[i:j]
        before = body[i - 1] if i > 0 else None
        after_intro = before is not None and (
            (before.kind == "heading" and before.family == "listhead")
            or (before.kind != "heading" and text[before.end - 1 : before.end] == ":")
        )
        texts = [text[it.start : it.end] for it in run]
        questions = all(t.rstrip().endswith("?") for t in texts)
        short_run = len(run) >= 3 and all(len(t) <= 500 for t in texts)
        if (len(run) >= 2 and (after_intro or questions)) or short_run:
            for it in run:
                it.kind = "list_item"
                it.label = "•"
        i = j


def _indented_para(it: _Item, text: str) -> bool:
    return it.kind == "paragraph" and 1 <= it.indent <= 3 and starts_upper(text[it.start : it.end])


def section_label(section: Sequence[str], limit: int = 80) -> str:
    """The last heading of a section path, truncated to ``limit`` characters with "…"."""
    if not section:
        return ""
    last = section[-1]
    return last if len(last) <= limit else last[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------
# The document's own paragraph numbers ("12. La première réunion du Forum mondial…")
# ---------------------------------------------------------------------------------------

MIN_PARAGRAPH_RUN = 8
"""Fewest numbered paragraphs in a run taken as the document's paragraph numbering: UN
and GFMD reports number every paragraph (tens to hundreds), a list rarely has 8 items."""

MAX_PARAGRAPH_GAP = 3
"""Largest step between two consecutive paragraph numbers of a run (a paragraph whose
number extraction lost, or which the cleaner merged into the previous one)."""

_PARA_NUMBER = re.compile(r"(\d{1,3})\.\s+\S")
"""A paragraph number at the start of a block: "12. La …" (not "2.1 Titre", not "12)")."""


@dataclass(frozen=True)
class ParagraphNumber:
    """One numbered paragraph: its number and its span in the cleaned text (from its
    number to the end of the last block before the next numbered paragraph or heading)."""

    number: int
    start: int
    end: int


def paragraph_numbers(text: str, blocks: Sequence[Block]) -> tuple[ParagraphNumber, ...]:
    """The document's paragraph numbering, when it has one.

    Rule: candidates are body paragraphs and list items whose text starts with "N. "
    (1-3 digits, a full stop, a space: never a "2.1" heading number, never "3)" list
    labels); the numbering is the longest chain of candidates, in text order, whose
    numbers increase by 1 to :data:`MAX_PARAGRAPH_GAP`. It counts only when it has at
    least :data:`MIN_PARAGRAPH_RUN` paragraphs and runs across at least two sections — a
    list restarts at 1 in each list and sits in one section, paragraph numbers run
    through the whole report (UN document style: ST/ADM, A/63/265).

    Args:
        text: the document's cleaned text.
        blocks: its blocks, in text order.

    Returns:
        The numbered paragraphs in text order; ``()`` when the document numbers none.
    """
    body = [b for b in blocks if b.kind != "footnote"]
    cands: list[tuple[int, int]] = []  # (block index, number)
    for i, b in enumerate(body):
        if b.kind not in ("paragraph", "list_item"):
            continue
        m = _PARA_NUMBER.match(text, b.start, b.end)
        if m:
            cands.append((i, int(m.group(1))))
    if len(cands) < MIN_PARAGRAPH_RUN:
        return ()
    best = [1] * len(cands)
    back = [-1] * len(cands)
    for i in range(len(cands)):
        for j in range(i):
            step = cands[i][1] - cands[j][1]
            if 1 <= step <= MAX_PARAGRAPH_GAP and best[j] + 1 > best[i]:
                best[i], back[i] = best[j] + 1, j
    end = max(range(len(cands)), key=lambda i: (best[i], -i))
    chain: list[tuple[int, int]] = []
    while end >= 0:
        chain.append(cands[end])
        end = back[end]
    chain.reverse()
    if len(chain) < MIN_PARAGRAPH_RUN or len({body[i].section for i, _ in chain}) < 2:
        return ()
    out: list[ParagraphNumber] = []
    for k, (i, number) in enumerate(chain):
        stop = chain[k + 1][0] if k + 1 < len(chain) else len(body)
        last = i
        while last + 1 < stop and body[last + 1].kind != "heading":
            last += 1
        out.append(ParagraphNumber(number, body[i].start, body[last].end))
    return tuple(out)


def paragraph_range(
    numbers: Sequence[ParagraphNumber], start: int, end: int
) -> tuple[int | None, int | None]:
    """First and last paragraph numbers a span ``[start, end)`` of the text overlaps.

    Returns:
        ``(first, last)``; ``(None, None)`` when the span overlaps no numbered paragraph
        (a heading, text before the first paragraph, a footnote, a document without
        numbering).
    """
    hit = [p.number for p in numbers if p.start < end and start < p.end]
    return (min(hit), max(hit)) if hit else (None, None)


@lru_cache(maxsize=4)
def _numbers_of(text: str, blocks: tuple[Block, ...]) -> tuple[ParagraphNumber, ...]:
    return paragraph_numbers(text, blocks)


class ParagraphFields(TypedDict):
    """The paragraph locator of a span, as keyword arguments of a passage or element."""

    paragraph_start: int | None
    paragraph_end: int | None


def paragraph_fields(doc: Document, start: int, end: int) -> ParagraphFields:
    """``{"paragraph_start", "paragraph_end"}`` of a span of a document (keyword arguments
    of :class:`~ingest.models.Passage` and :class:`~ingest.models.Element`); the
    document's numbering is computed once per document (:func:`paragraph_numbers`)."""
    first, last = paragraph_range(_numbers_of(doc.text, doc.blocks), start, end)
    return ParagraphFields(paragraph_start=first, paragraph_end=last)
