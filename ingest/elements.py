"""Extract key messages, guiding questions and recommendations from a document's structure.

An *element* is one item of a list printed under an element heading ("Messages essentiels
de l'atelier de Chisinau…", "Questions directrices", "Marches à suivre possibles",
"Key messages", "Preguntas orientadoras"…). Extraction works on the blocks the structure
stage produced (:class:`ingest.models.Block`), never on raw lines, so that an item never
absorbs the next heading, a footnote or a page header.

The rules, in order (each is general: none names one report's wording):

1. **List headings** (:data:`ELEMENT_HEADING_PATTERNS`). A heading block whose text,
   once folded (accents, case and apostrophes removed, see :func:`fold`) and stripped of
   its section number, *starts* with one of the patterns of a kind opens a list of that
   kind. A short paragraph or bullet item (at most :data:`MAX_PSEUDO_HEADING_CHARS`
   characters, one sentence at most, not ending with a full stop or a question mark) that
   starts with a pattern is taken as a heading the structure stage missed. A bare
   "Questions" heading counts only when most of its items are questions
   (:data:`BARE_QUESTIONS_PATTERN`); nested in a guiding-question list it is a sub-heading. A heading naming two kinds ("Questions pour
   orienter la discussion – Marches à suivre possibles") takes the kind it starts with;
   a nested element heading ("4.2 Marches à suivre possibles") then opens its own list.
2. **Scope.** A list runs from its heading to the next heading of the same or a higher
   level, the next element heading or meeting heading (any level), or the end of the
   body. Sub-headings nested below the list heading do not end it ("4.2.1 Assurer la
   cohérence" inside "4.2 Marches à suivre possibles"): their items belong to the same list
   and keep their own section path. Footnote blocks are skipped, never absorbed.
3. **Items**, per section of the scope:

   - a section that has list items (labelled or bulleted): each list item is an item;
     its other paragraphs (lead-ins such as "Les « marches à suivre possibles » ci-après
     sont proposées…") are not;
   - a section with no list items whose sub-sections hold items: its paragraphs are
     an introduction, not items;
   - otherwise (bullets whose glyph was lost in extraction): each paragraph is an item,
     except lead-ins ending with ":" and page furniture (fewer than
     :data:`MIN_ITEM_WORDS` words, or no lower-case letter: a running header).

   A paragraph that starts with a lower-case letter, or, in a section with list items,
   one that follows an item not ending a sentence, continues the previous item (an item
   split at a page break) and is merged into it, but only when nothing (no footnote, no
   header) lies between the two in the cleaned text; otherwise the item ends where it
   was cut. A paragraph that starts with a list label ("iii) …") counts as
   a list item. In a section, the list ends when the label style changes ("1. 2. 3." then
   "a)") or the numbering restarts, because that is a new list the structure stage did
   not separate, except after an item ending with ":" whose sub-points are merged into it.
4. **Meeting** (:func:`_resolve_meeting`): the nearest meeting heading
   (:data:`MEETING_PATTERNS`: roundtable, session, thematic meeting, workshop) that
   encloses the list heading, or that precedes it at the same or a higher level without
   crossing into another chapter; else the list heading itself when it names a meeting
   ("Messages essentiels de l'atelier de Chisinau…" -> "Atelier de Chisinau");
   else the document title when it names one ("Document de référence de la Table ronde
   3.3 : …" -> "Table ronde 3.3 : …"); else ``None``. A thematic meeting or workshop
   heading that names a place and a date is shortened to "<kind> — <place>, <date>"
   ("Réunion thématique — Marseille, France, 14-15 juin 2011", see
   :func:`_places_and_dates`); a meeting heading that only introduces a list of meetings
   ("Réunions thématiques :" then "a) …, New York, …", "b) …, Batumi, …") names them all,
   separated by "; ".
   Roundtable headings are written "<Table ronde|Roundtable|Mesa redonda> <n> : <title>".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from corpus.text import fold_words as fold
from corpus.text import is_instruction, normalize_space
from ingest.language import detect_language
from ingest.models import Document, Element, ElementKind, content_id
from ingest.structure import paragraph_fields

# --------------------------------------------------------------------------------------
# Rule tables
# --------------------------------------------------------------------------------------

_QUALIFIER = (
    r"(?:(?:principales?|principaux|main|summary of(?: the)?|overview of(?: the)?|"
    r"synthese des|resume des|resumen de (?:las|los)|liste des|list of(?: the)?|"
    r"lista de (?:las|los)|draft|projet de|proyecto de)\s+)?"
)

ELEMENT_HEADING_PATTERNS: dict[ElementKind, tuple[str, ...]] = {
    "key_message": (
        r"messages? (?:essentiels?|cles?|principaux|importants?|centraux)\b",
        r"principaux messages\b",
        r"(?:key|main|core|central) messages?\b",
        r"mensajes? (?:clave|principales|esenciales|centrales)\b",
        r"principales mensajes\b",
    ),
    "guiding_question": (
        r"questions? (?:pour|visant a|destinees? a|afin d') ?(?:orienter|guider|alimenter|"
        r"structurer|animer)\b",
        r"questions? directrices?\b",
        r"questions? (?:pour|a|de) (?:la |le )?(?:discussion|debat|debattre|reflexion)\b",
        r"questions? d'orientation\b",
        r"(?:guiding|discussion|framing) questions?\b",
        r"questions? (?:for|to guide|to orient|to frame|to steer) (?:the )?"
        r"(?:discussion|debate|deliberations?)\b",
        r"preguntas? (?:orientadoras?|rectoras?|directrices?|gu[ií]a)\b",
        r"preguntas? (?:para|que) (?:orientar|guiar|estructurar) (?:el |la |los |las )?"
        r"(?:debate|discusion|debates)\b",
        r"preguntas? (?:para|de) (?:el |la )?(?:debate|discusion|reflexion)\b",
        r"(?:questions|preguntas)$",  # bare: see BARE_QUESTIONS_PATTERN
    ),
    "recommendation": (
        r"recommandations?\b",
        r"recommendations?\b",
        r"recomendaciones\b",
        r"recomendacion\b",
        r"(?:possibles? )?marches? a suivre\b",
        r"(?:possible )?ways? forward\b",
        r"(?:the )?way forward\b",
        r"(?:posibles? )?(?:vias|pasos|medidas|caminos) a seguir\b",
        r"pistes d'action\b",
        r"(?:propositions?|propuestas?|proposals?)(?: \S+){0,5}$",  # short headings only
    ),
}
"""Element list headings, kind -> regexes matched at the start of the folded heading
(after its section number and an optional qualifier such as "Principales", "Summary of").
Sources: the headings of GFMD reports (issue 4: "Messages essentiels…", "Questions pour
orienter la discussion…", "Questions directrices", "Marches à suivre possibles"…) and their
English and Spanish equivalents in GFMD documents ("Key messages", "Guiding questions",
"Possible ways forward", "Mensajes clave", "Preguntas orientadoras", "Recomendaciones").
"Propositions"/"Propuestas"/"Proposals" count only as a short heading (up to six words), and
a bare "Questions"/"Preguntas" only under the condition of :data:`BARE_QUESTIONS_PATTERN`."""

BARE_QUESTIONS_PATTERN = r"(?:questions|preguntas)$"
"""A heading that is only "Questions"/"Preguntas" ("4.1 Questions") opens a guiding-question
list only when at least :data:`MIN_QUESTION_SHARE` of its items contain a question mark:
in French "questions" also means "issues"."""

MIN_QUESTION_SHARE = 0.5

MEETING_PATTERNS: dict[str, str] = {
    "roundtable": r"(?:tables? rondes?|round ?tables?|mesas? redondas?|rt)"
    r"(?: session| sesion| seance)?\s*\d+(?:\.\d+)*",
    "session": r"(?:sessions?|sesion|sesiones|seances?)\s+\d+(?:\.\d+)*",
    "thematic_meeting": r"(?:reunions? thematiques?|thematic meetings?|"
    r"reunion(?:es)? tematicas?)\b",
    "workshop": r"(?:ateliers?|workshops?|talleres|taller)\b",
}
"""Meeting headings, kind -> regex matched at the start of the folded heading (after its
section number). Roundtables and sessions need their number ("Table ronde 2.2",
"Roundtable 1.1", "Mesa redonda 3.2", "Session 3.3")."""

_NOT_A_NAME = (
    r"(?:au|aux|a|al|to|for|du|de|des|del|d|on|sur|et|and|y|in|en|at|the|la|le|les|el|"
    r"los|las|of|with|avec|con|final|finale|y)\b"
)
MEETING_IN_TEXT_PATTERN = (
    r"\b(?:(?:tables? rondes?|round ?tables?|mesas? redondas?)(?: session| sesion)?\s*"
    r"\d+(?:\.\d+)*|(?:session|sesion|seance)\s+\d+(?:\.\d+)*|"
    r"(?:reunion thematique|thematic meeting|reunion tematica|atelier|workshop|taller)"
    r"\s+(?:de |d'|of |in |at |en |del )(?:la |the |l')?(?!" + _NOT_A_NAME + r")[a-z][\w'-]*"
    r"(?: (?!" + _NOT_A_NAME + r")[a-z][\w'-]*)?)"
)
"""A meeting named inside a list heading or a document title ("de l'atelier de Chisinau",
"de la Table ronde 3.3"); used for the fallbacks of rule 4."""

MAX_PSEUDO_HEADING_CHARS = 160
"""Longest paragraph taken for a missed element heading (characters); element headings in
GFMD reports are under 100 characters, list items that start like one are longer."""

MAX_PSEUDO_MEETING_CHARS = 300
"""Longest paragraph taken for a missed meeting heading (characters): roundtable titles
run to two lines (~200 characters)."""

MIN_ITEM_WORDS = 3
"""A glyph-lost bullet paragraph shorter than this (words) is page furniture, not an item."""

_MONTHS = (
    r"janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    r"noviembre|diciembre"
)
_DATE_RE = re.compile(
    r"(?<![\w])(\d{1,2}(?:er)?(?:\s*(?:-|au|to|al|y|et|and)\s*\d{1,2}(?:er)?)?\s+"
    r"(?:de\s+)?(?:" + _MONTHS + r")(?![a-z])(?:\s+(?:de\s+)?(?:19|20)\d{2})?)"
)
"""A day-month(-year) date on folded text; the year is read as its first four digits so
that a glued footnote mark ("201114" = 2011 + note 14) is left out."""

_BULLET_CHARS = (
    "\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2043\u2219\u00b7\u27a2\u2713\u2714*-\u2013\u2014>o"
)

_LABEL_RE = re.compile(
    r"^\s*\(?(?:(?P<label>\d{1,3}|[ivxlc]{1,7}|[IVXLC]{2,7}|[a-z])(?:\)|\.(?=\s)|\s[-\u2013]\s)"
    r"|(?P<upper>[A-Z])\))\s*"
)
"""A printed list label at the start of a block: "iii)", "(b)", "2.", "a)"."""


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def heading_element_kind(text: str, *, is_heading_block: bool = True) -> ElementKind | None:
    """Tell which element list a heading opens, if any.

    Args:
        text: the heading as printed (numbering, markdown marks and accents allowed).
        is_heading_block: ``False`` for a paragraph, which must also look like a heading
            (short, not a sentence; see rule 1 of the module docstring).

    Returns:
        The element kind, or ``None`` when the text is not an element list heading.
    """
    core = fold(_strip_numbering(_strip_markup(text)))
    if not core:
        return None
    if not is_heading_block and not _looks_like_heading_paragraph(text):
        return None
    core = core.rstrip(" :.")
    body = re.sub("^" + _QUALIFIER, "", core)
    if not is_heading_block and re.match(BARE_QUESTIONS_PATTERN, body):
        return None
    for kind, patterns in ELEMENT_HEADING_PATTERNS.items():
        for pattern in patterns:
            if re.match(pattern, body):
                return kind
    return None


def meeting_kind(text: str, *, is_heading_block: bool = True) -> str | None:
    """Tell whether a heading names a meeting (roundtable, session, thematic meeting, workshop).

    Args:
        text: the heading as printed.
        is_heading_block: ``False`` for a paragraph, which must also be short
            (:data:`MAX_PSEUDO_MEETING_CHARS`) and not a sentence.

    Returns:
        A key of :data:`MEETING_PATTERNS`, or ``None``.
    """
    stripped = _strip_markup(text)
    if not is_heading_block:
        flat = normalize_space(stripped)
        if len(flat) > MAX_PSEUDO_MEETING_CHARS or re.search(r"[.!?]\s*$", flat):
            return None
        if re.search(r"[a-z]{3,}\.\s+[A-Z]", flat):
            return None
    core = fold(_strip_numbering(stripped))
    for kind, pattern in MEETING_PATTERNS.items():
        if re.match(pattern + r"(?![\w.])", core) or (
            kind not in ("roundtable", "session") and re.match(pattern, core)
        ):
            return kind
    return None


def extract_elements(doc: Document) -> tuple[Element, ...]:
    """Extract the key messages, guiding questions and recommendations of a document.

    Args:
        doc: a cleaned, structured document; its blocks are in text order.

    Returns:
        The elements in document order; ``text == doc.text[start:end]`` for each, and the
        ordinal counts from 1 in each list. A heading with no items yields nothing.
        Rules: see the module docstring.
    """
    blocks = doc.blocks
    if not blocks:
        return ()
    ctx = _Context(doc)
    elements: list[Element] = []
    absorbed: set[int] = set()
    for head in ctx.element_headings():
        if head.index in absorbed:
            continue
        items = _collect_items(ctx, head, absorbed)
        if not items:
            continue
        if _is_bare_questions(ctx.text_of(head.index)) and not _mostly_questions(ctx, items):
            continue
        if _injected(ctx, head, items):
            continue
        heading_text = _display_heading(ctx.text_of(head.index))
        meeting = _resolve_meeting(ctx, head)
        for ordinal, item in enumerate(items, start=1):
            elements.append(_make_element(ctx, head, item, ordinal, heading_text, meeting))
    elements.sort(key=lambda e: (e.start, e.end))
    return tuple(_dedupe(elements))


def _injected(ctx: _Context, head: _Head, items: list[_Item]) -> bool:
    """Whether a list holds text addressed to a language model
    (:func:`corpus.text.is_instruction`): such a list is not the meeting's; none of its
    items becomes an element, since the injected payload usually follows its trigger in
    the same list (issue 11, item 8)."""
    texts = [ctx.text_of(head.index)] + [ctx.doc.text[i.start : i.end] for i in items]
    return any(is_instruction(t) for t in texts)


def meeting_term_matches(term: str, text: str) -> bool:
    """Whether a meeting term (a number such as "2.2", or words such as "new york") occurs
    in a meeting name or heading, accent- and case-insensitively.

    A number must occur as a whole number ("1.1" is not found in "11.1" or "1.12"). Every
    word of a word term must occur as a word, or as a word differing only in its last
    :data:`MAX_EXONYM_TAIL` letters after a shared start of at least
    :data:`MIN_EXONYM_PREFIX` letters (exonyms across languages: "Manila" ~ "Manille",
    "Marseilles" ~ "Marseille").

    Args:
        term: the term (any case, accents allowed).
        text: the meeting name and/or heading to search.

    Returns:
        True when found; False for an empty term.
    """
    hay = fold(text)
    term = fold(term).strip()
    if not term:
        return False
    if re.fullmatch(r"\d+(?:\.\d+)*", term):
        return bool(re.search(r"(?<![\d.])" + re.escape(term) + r"(?!\d|\.\d)", hay))
    words = set(re.findall(r"\w+", hay))
    parts = re.findall(r"\w+", term)
    return bool(parts) and all(any(_word_matches(p, w) for w in words) for p in parts)


MIN_EXONYM_PREFIX = 5
"""Letters two words must share at their start to match as exonyms (Manila ~ Manille)."""

MAX_EXONYM_TAIL = 2
"""Letters in which two exonym-matched words may differ after their shared start."""


def _word_matches(token: str, word: str) -> bool:
    if token == word:
        return True
    if min(len(token), len(word)) < MIN_EXONYM_PREFIX or token.isdigit() or word.isdigit():
        return False
    shared = 0
    for a, b in zip(token, word, strict=False):
        if a != b:
            break
        shared += 1
    return (
        shared >= MIN_EXONYM_PREFIX
        and len(token) - shared <= MAX_EXONYM_TAIL
        and len(word) - shared <= MAX_EXONYM_TAIL
    )


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """An element list heading found among the blocks."""

    index: int
    kind: ElementKind
    level: int
    pseudo: bool


@dataclass
class _Item:
    """An item being assembled: its first and last block and its text span."""

    first: int
    last: int
    start: int
    end: int
    label: str
    style: str
    value: int | None
    section: tuple[str, ...]
    nested_style: str | None = None


class _Context:
    """Per-document caches: block texts, heading levels and classifications."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.blocks = doc.blocks
        self._kinds: dict[int, ElementKind | None] = {}
        self._meetings: dict[int, str | None] = {}
        # Effective level of every block: a heading's level, or for other blocks the
        # level of the last heading before them (0 before the first heading).
        self.levels: list[int] = []
        current = 0
        for block in self.blocks:
            if block.kind == "heading":
                current = max(block.level, 1)
                self.levels.append(current)
            else:
                self.levels.append(current)

    def text_of(self, i: int) -> str:
        block = self.blocks[i]
        return self.doc.text[block.start : block.end]

    def element_kind(self, i: int) -> ElementKind | None:
        if i not in self._kinds:
            block = self.blocks[i]
            kind: ElementKind | None = None
            if block.kind == "heading":
                kind = heading_element_kind(self.text_of(i))
            elif block.kind == "paragraph" or (
                block.kind == "list_item" and not block.label.strip(" ()").isalnum()
            ):
                # a paragraph, or a bullet item, that is only a heading the structure
                # stage missed ("Questions directrices" at the top of a page)
                kind = heading_element_kind(self.text_of(i), is_heading_block=False)
            self._kinds[i] = kind
        return self._kinds[i]

    def meeting_kind(self, i: int) -> str | None:
        if i not in self._meetings:
            block = self.blocks[i]
            kind: str | None = None
            if block.kind == "heading":
                kind = meeting_kind(self.text_of(i))
            elif block.kind == "paragraph" and not _LABEL_RE.match(self.text_of(i)):
                kind = meeting_kind(self.text_of(i), is_heading_block=False)
            self._meetings[i] = kind
        return self._meetings[i]

    def is_heading_like(self, i: int) -> bool:
        """A heading block, or a paragraph taken for a missed element/meeting heading."""
        return (
            self.blocks[i].kind == "heading"
            or self.element_kind(i) is not None
            or self.meeting_kind(i) is not None
        )

    def element_headings(self) -> list[_Head]:
        heads: list[_Head] = []
        for i, block in enumerate(self.blocks):
            kind = self.element_kind(i)
            if kind is None:
                continue
            if block.kind == "heading":
                heads.append(_Head(i, kind, max(block.level, 1), pseudo=False))
            else:
                heads.append(_Head(i, kind, self.levels[i] + 1, pseudo=True))
        return heads


def _collect_items(ctx: _Context, head: _Head, absorbed: set[int]) -> list[_Item]:
    """Rules 2 and 3: the items of one list, in document order.

    A bare "Questions" sub-heading nested in a guiding-question list is part of it; its
    index is added to ``absorbed`` so that it does not open a list of its own.
    """
    blocks = ctx.blocks
    scope: list[int] = []
    for j in range(head.index + 1, len(blocks)):
        block = blocks[j]
        if block.kind == "heading":
            level = max(block.level, 1)
            if (
                level > head.level
                and ctx.element_kind(j) == head.kind
                and _is_bare_questions(ctx.text_of(j))
            ):
                absorbed.add(j)  # "4.1 Questions" inside "4. Questions pour orienter…"
                continue
            if ctx.element_kind(j) or ctx.meeting_kind(j) or level <= head.level:
                break
            continue
        if block.kind == "footnote":
            continue
        if ctx.element_kind(j) or ctx.meeting_kind(j):
            break
        scope.append(j)
    if not scope:
        return []

    def section_of(j: int) -> tuple[str, ...]:
        return blocks[j].section

    labelled: dict[tuple[str, ...], bool] = {}
    for j in scope:
        sec = section_of(j)
        labelled[sec] = labelled.get(sec, False) or _label_of(ctx, j) is not None
    parents = {
        sec
        for sec in labelled
        if any(other != sec and other[: len(sec)] == sec for other in labelled)
    }

    items: list[_Item] = []
    list_style: dict[tuple[str, ...], str] = {}
    for j in scope:
        sec = section_of(j)
        raw = ctx.text_of(j)
        label = _label_of(ctx, j)
        prev = items[-1] if items else None
        adjacent = prev is not None and _adjacent(ctx, prev.last, j)
        if label is None:
            if (
                prev is not None
                and adjacent
                and (
                    _is_continuation(raw)
                    or (labelled[sec] and prev.section == sec and not _ends_sentence(ctx, prev))
                )
            ):
                _extend(ctx, prev, j)
                continue
            if labelled[sec] or sec in parents:
                continue  # lead-in, closing remark or introduction of a labelled list
            flat = normalize_space(raw)
            if flat.endswith(":") or _is_furniture(flat):
                continue
            start, end = _span_after_marker(ctx, j, "", list_item=False)
            if end <= start:
                continue
            items.append(_Item(j, j, start, end, "", "para", None, sec))
            continue
        style, value = _label_style(label, prev.label if prev and prev.section == sec else "")
        if prev is not None and prev.section == sec and prev.style != "para":
            base = list_style.get(sec, prev.style)
            if style != base:
                if prev.nested_style in (None, style) and _ends_with_colon(ctx, prev) and adjacent:
                    prev.nested_style = style
                    _extend(ctx, prev, j)
                    continue
                if prev.nested_style == style and adjacent:
                    _extend(ctx, prev, j)
                    continue
                break  # another list the structure stage did not separate
            if value is not None and prev.value is not None and value <= prev.value:
                break  # numbering restarts: a new list
        start, end = _span_after_marker(ctx, j, label, list_item=blocks[j].kind == "list_item")
        if end <= start:
            continue
        list_style.setdefault(sec, style)
        shown = "" if style == "bullet" else label
        items.append(_Item(j, j, start, end, shown, style, value, sec))
    return items


def _is_bare_questions(text: str) -> bool:
    body = fold(_strip_numbering(_strip_markup(text))).rstrip(" :.")
    return bool(re.match(BARE_QUESTIONS_PATTERN, body))


def _mostly_questions(ctx: _Context, items: list[_Item]) -> bool:
    asked = sum("?" in ctx.doc.text[i.start : i.end] for i in items)
    return asked >= MIN_QUESTION_SHARE * len(items)


def _label_of(ctx: _Context, j: int) -> str | None:
    """The list label of a block: a list item's label ("" -> "•"), or an alphanumeric
    label printed at the start of a paragraph the structure stage did not mark as a list
    item; ``None`` for other blocks."""
    block = ctx.blocks[j]
    if block.kind == "list_item":
        label = block.label.strip().strip("().")
        return label if label else "\u2022"
    if block.kind == "paragraph":
        raw = ctx.text_of(j)
        m = _LABEL_RE.match(raw)
        if m and len(raw) > m.end() + 10:
            return m.group("label") or m.group("upper")
    # A paragraph starting with a stray bullet glyph is a glyph-lost bullet: it is an
    # item like any paragraph of an unlabelled list (its glyph is left out of the span).
    return None


_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _roman_value(label: str) -> int | None:
    label = label.lower()
    if not label or any(c not in _ROMAN_VALUES for c in label):
        return None
    total = 0
    for a, b in zip(label, label[1:] + " ", strict=True):
        va = _ROMAN_VALUES[a]
        vb = _ROMAN_VALUES.get(b, 0)
        total += -va if vb > va else va
    return total


def _label_style(label: str, previous: str) -> tuple[str, int | None]:
    """The numbering style of a label and its position in that style.

    A single "i", "v", "x", "l" or "c" is lettered when it follows the letter before it
    ("h" then "i") or when the previous label was lettered; otherwise it is roman.

    Args:
        label: the label as printed, without brackets ("iii", "b", "2", "•").
        previous: the label of the previous item of the same section, or "".

    Returns:
        (style, value): style is ``"arabic"``, ``"roman"``, ``"letter"`` or ``"bullet"``;
        value is the 1-based position in that style (``None`` for bullets).
    """
    if label.isdigit():
        return "arabic", int(label)
    if not label.isalpha() or not label.isascii():
        return "bullet", None
    low = label.lower()
    roman = _roman_value(low)
    if len(low) > 1:
        return ("roman", roman) if roman is not None else ("bullet", None)
    prev = previous.lower()
    prev_is_letter = (
        len(prev) == 1
        and prev.isalpha()
        and (_roman_value(prev) is None or ord(low) - ord(prev) == 1)
    )
    if roman is not None and not prev_is_letter and (low == "i" or prev):
        return "roman", roman
    return "letter", ord(low) - ord("a") + 1


def _adjacent(ctx: _Context, a: int, b: int) -> bool:
    """True when block ``b`` directly follows block ``a`` with only whitespace between."""
    if b != a + 1:
        return False
    gap = ctx.doc.text[ctx.blocks[a].end : ctx.blocks[b].start]
    return not gap.strip()


def _extend(ctx: _Context, item: _Item, j: int) -> None:
    block = ctx.blocks[j]
    end = block.end
    while end > block.start and ctx.doc.text[end - 1].isspace():
        end -= 1
    item.last = j
    item.end = max(item.end, end)


def _ends_sentence(ctx: _Context, item: _Item) -> bool:
    """True when an item's text ends with terminal punctuation (closing quotes and a
    glued footnote number allowed): otherwise the next paragraph continues it."""
    tail = ctx.doc.text[item.start : item.end].rstrip()
    tail = re.sub(r"(?<=[^\d\s])\d{1,3}$", "", tail).rstrip(" \u00bb\u201d\"')]")
    return bool(tail) and tail[-1] in ".!?:;\u2026"


def _ends_with_colon(ctx: _Context, item: _Item) -> bool:
    return ctx.doc.text[item.start : item.end].rstrip().endswith(":")


def _is_continuation(raw: str) -> bool:
    """A paragraph that continues a sentence: starts with a lower-case letter or a comma."""
    s = raw.lstrip()
    s = s.lstrip("".join(ch for ch in s[:1] if unicodedata.category(ch) == "Co"))
    return bool(s) and (s[0].islower() or s[0] in ",;)")


def _is_furniture(flat: str) -> bool:
    """Running headers, page numbers and similar stray lines."""
    words = flat.split()
    if len(words) < MIN_ITEM_WORDS:
        return True
    return not any(c.islower() for c in flat)


def _span_after_marker(ctx: _Context, j: int, label: str, *, list_item: bool) -> tuple[int, int]:
    """The span of a block's text without its label or bullet and outer whitespace.

    Private-use glyphs (lost bullets) are always removed; other bullet characters
    ("-", "o", "*"…) only from list items.
    """
    block = ctx.blocks[j]
    text = ctx.doc.text
    start, end = block.start, block.end
    while start < end and text[start].isspace():
        start += 1
    head = text[start:end]
    if label and label != "\u2022":
        m = re.match(r"\(?" + re.escape(label) + r"(?:\)|\.(?=\s)|\s*[-\u2013]\s)\s*", head)
        if m:
            start += m.end()
    while start < end and (
        unicodedata.category(text[start]) == "Co"
        or (
            text[start] in (_BULLET_CHARS if list_item else "\u2022\u25cf\u25aa")
            and start + 1 < end
            and text[start + 1].isspace()
        )
    ):
        start += 1
        while start < end and text[start].isspace():
            start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _make_element(
    ctx: _Context,
    head: _Head,
    item: _Item,
    ordinal: int,
    heading_text: str,
    meeting: str | None,
) -> Element:
    doc = ctx.doc
    text = doc.text[item.start : item.end]
    page_start, page_end = _pages(ctx, item)
    language = doc.meta.language or detect_language(text)
    return Element(
        element_id=content_id(doc.doc_id, head.kind, item.start, item.end),
        kind=head.kind,
        text=text,
        label=item.label,
        ordinal=ordinal,
        heading=heading_text,
        meeting=meeting,
        doc_id=doc.doc_id,
        title=doc.meta.title,
        year=doc.meta.year,
        page_start=page_start,
        page_end=page_end,
        start=item.start,
        end=item.end,
        language=language,
        section=ctx.blocks[item.first].section,
        **paragraph_fields(doc, item.start, item.end),
    )


def _pages(ctx: _Context, item: _Item) -> tuple[int | None, int | None]:
    """Physical pages of an item: from the document's page spans, else from its blocks."""
    pages = [p.number for p in ctx.doc.pages if p.start < item.end and p.end > item.start]
    if pages:
        return min(pages), max(pages)
    first, last = ctx.blocks[item.first], ctx.blocks[item.last]
    return first.page_start, last.page_end if last.page_end is not None else first.page_end


def _dedupe(elements: list[Element]) -> list[Element]:
    """Drop an element whose span another list already took (overlapping scopes)."""
    seen: set[tuple[int, int]] = set()
    out: list[Element] = []
    for el in elements:
        if (el.start, el.end) in seen:
            continue
        seen.add((el.start, el.end))
        out.append(el)
    return out


# --------------------------------------------------------------------------------------
# Headings and meetings
# --------------------------------------------------------------------------------------


def _strip_markup(text: str) -> str:
    """Remove markdown heading/bold marks and leading bullet glyphs."""
    text = re.sub(r"^\s*#{1,6}\s*", "", text)
    text = text.replace("**", "").replace("__", "")
    text = text.lstrip()
    while text and (unicodedata.category(text[0]) == "Co" or text[0] in "\u2022\u25cf\u25aa"):
        text = text[1:].lstrip()
    return text


def _strip_numbering(text: str) -> str:
    """Remove one leading section number or list label ("4.2 ", "IV. ", "a) ", "2. ")."""
    return re.sub(
        r"^\s*(?:(?:\d+(?:\.\d+)*|[IVXLC]+|[ivxlc]+|[A-Za-z])[.)]\s+|\(\w{1,4}\)\s+|"
        r"\d+(?:\.\d+)+\s+|\d+\s+(?=\D))",
        "",
        text,
    )


def _looks_like_heading_paragraph(text: str) -> bool:
    flat = normalize_space(_strip_markup(text))
    if not flat or len(flat) > MAX_PSEUDO_HEADING_CHARS:
        return False
    if (flat.endswith(".") and not flat.endswith("...")) or flat.endswith("?"):
        return False
    # more than one sentence: not a heading
    return not re.search(r"[a-z]{3,}[.?!]\s+[A-Z]", flat)


def _display_heading(text: str) -> str:
    """A heading as printed, whitespace-normalised, markdown marks removed."""
    return normalize_space(_strip_markup(text))


def _resolve_meeting(ctx: _Context, head: _Head) -> str | None:
    """Rule 4 of the module docstring: the meeting a list belongs to."""
    found = _meeting_heading_before(ctx, head)
    if found is not None:
        return found
    named = _meeting_named_in(ctx.text_of(head.index))
    if named:
        return named
    title = ctx.doc.meta.title or ""
    m = re.search(MEETING_IN_TEXT_PATTERN, fold(title))
    if m:
        return _meeting_from_title(title)
    return None


def _meeting_heading_before(ctx: _Context, head: _Head) -> str | None:
    """The nearest meeting heading enclosing the list heading, or preceding it at the same
    or a higher level within the same chapter."""
    bound = head.level
    crossed = False
    for j in range(head.index - 1, -1, -1):
        block = ctx.blocks[j]
        if block.kind == "heading":
            level = max(block.level, 1)
            if ctx.meeting_kind(j):
                if level < bound or (level == bound and not crossed):
                    return _format_meeting(ctx, j)
                continue
            if level < bound:
                bound = level
                crossed = True
        elif block.kind == "paragraph" and not crossed and ctx.meeting_kind(j):
            return _format_meeting(ctx, j)
    return None


def _format_meeting(ctx: _Context, j: int) -> str:
    """A meeting heading as a meeting name (see rule 4)."""
    raw = _strip_markup(ctx.text_of(j))
    core = _strip_numbering(raw)
    kind = ctx.meeting_kind(j)
    m = re.match(r"\s*([^:\n]*?)\s*:\s*(.*)\Z", core, re.S)
    kind_text = normalize_space(m.group(1)) if m else ""
    if kind in ("thematic_meeting", "workshop"):
        found = _places_and_dates(core)
        for sub in _sub_meetings(ctx, j):
            found.extend(p for p in _places_and_dates(sub) if p not in found)
        if found and kind_text:
            return f"{kind_text} — " + "; ".join(found)
    if kind in ("roundtable", "session"):
        return _format_numbered_meeting(core, ctx.doc.meta.language)
    return normalize_space(core).rstrip(" :")


def _sub_meetings(ctx: _Context, j: int) -> list[str]:
    """Labelled blocks right after a meeting heading that name a meeting with its date
    ("Réunions thématiques :" then "a) …, New York, …, 30 juin 2011", "b) …")."""
    subs: list[str] = []
    for k in range(j + 1, len(ctx.blocks)):
        block = ctx.blocks[k]
        if block.kind == "footnote":
            continue
        text = ctx.text_of(k)
        labelled = block.kind == "list_item" or bool(_LABEL_RE.match(text))
        if labelled and block.kind != "footnote" and _DATE_RE.search(fold(text)):
            subs.append(text)
            continue
        break
    return subs


MAX_PLACE_WORDS = 4
"""A place segment before a date ("New York", "États-Unis") has at most this many words."""


def _places_and_dates(text: str) -> list[str]:
    """Every "Place, Country, date" a meeting heading names, as printed.

    The heading is cut into segments at commas and line breaks; for each segment holding
    a date, up to two segments before it are the place when they start with a capital and
    have at most :data:`MAX_PLACE_WORDS` words; when the nearest one is longer (the
    meeting's title ran into the place: "…du développement Chisinau"), its trailing run
    of capitalised words is the place.

    Returns:
        e.g. ``["Chisinau, Moldavie, 12-13 octobre 2011"]``; empty when no date follows a
        place.
    """
    segments = [s.strip() for s in re.split(r"[,\n]", text)]
    found: list[str] = []
    last_date = -1
    for index, seg in enumerate(segments):
        m = _DATE_RE.search(fold(seg))
        if not m:
            continue
        date_text = _printed_slice(seg, m.start(1), m.end(1))
        places: list[str] = []
        for k in range(index - 1, max(last_date, index - 3), -1):
            cand = re.sub(r"^\(?[a-zA-Z]\)\s*", "", segments[k]).strip()
            if (
                cand
                and cand[0].isupper()
                and len(cand.split()) <= MAX_PLACE_WORDS
                and ":" not in cand
            ):
                places.insert(0, cand)
                continue
            tail = re.search(r"((?:[A-ZÀ-Ý][\w'’-]*\s*){1,3})$", cand)
            if tail and tail.start() > 0:
                places.insert(0, tail.group(1).strip())
            break
        last_date = index
        if places and date_text:
            found.append(", ".join([*places, normalize_space(date_text)]))
    return found


def _printed_slice(printed: str, start: int, end: int) -> str:
    """Map a slice of ``fold(printed)`` back onto ``printed`` (same word positions)."""
    folded_words = fold(printed).split(" ")
    printed_words = normalize_space(printed).split(" ")
    if len(folded_words) != len(printed_words):
        return ""
    pos = 0
    first = last = None
    for i, w in enumerate(folded_words):
        w_start, w_end = pos, pos + len(w)
        if w_end > start and w_start < end:
            first = i if first is None else first
            last = i
        pos = w_end + 1
    if first is None or last is None:
        return ""
    words = printed_words[first : last + 1]
    # The last word may carry a glued footnote mark ("201114", "octobre8").
    words[-1] = re.sub(r"^((?:19|20)\d{2})\d+$", r"\1", words[-1])
    words[-1] = re.sub(r"^([^\d\W]+)\d+$", r"\1", words[-1])
    return " ".join(words)


def _format_numbered_meeting(core: str, language: str | None) -> str:
    """ "Table ronde 2.2 Favoriser…" -> "Table ronde 2.2 : Favoriser…" (fr spacing)."""
    flat = normalize_space(core)
    m = re.match(r"(.*?\d+(?:\.\d+)*)\s*[:.\-\u2013\u2014]?\s+(.+)", flat)
    if not m:
        return flat.rstrip(" :")
    prefix, rest = m.group(1), m.group(2)
    rest = re.sub(r"(?<=[^\d\s])\s*\d{1,2}$", "", rest)
    sep = " : " if (language == "fr" or re.match(r"(?i)(table|s[ée]ance)", prefix)) else ": "
    return f"{prefix}{sep}{rest}"


def _meeting_named_in(text: str) -> str | None:
    """A meeting named inside a list heading ("…de l'atelier de Chisinau au…")."""
    flat_printed = normalize_space(_strip_numbering(_strip_markup(text)))
    folded = fold(flat_printed)
    m = re.search(MEETING_IN_TEXT_PATTERN, folded)
    if not m:
        return None
    printed = re.sub(r"^[lLdD]['\u2019]", "", _printed_slice(flat_printed, m.start(), m.end()))
    if not printed:
        return None
    return printed[0].upper() + printed[1:]


def _meeting_from_title(title: str) -> str | None:
    """The meeting part of a document title ("… de la Table ronde 3.3 : processus…")."""
    flat = normalize_space(title)
    folded = fold(flat)
    m = re.search(MEETING_IN_TEXT_PATTERN, folded)
    if not m:
        return None
    printed = _printed_slice(flat, m.start(), len(folded))
    if not printed:
        return None
    return printed[0].upper() + printed[1:]


__all__ = [
    "ELEMENT_HEADING_PATTERNS",
    "MEETING_PATTERNS",
    "extract_elements",
    "fold",
    "heading_element_kind",
    "meeting_kind",
    "meeting_term_matches",
    "normalize_space",
]
