"""Recognise questions that ask for the elements of a meeting, and select those lists.

"Quels sont les messages essentiels de l'atelier de Chisinau ?", "What guiding questions
were put to roundtable 2.2?", "¿Cuáles son las preguntas orientadoras de la mesa redonda
1.2?" ask for a complete list, not for a passage: :func:`detect_element_request` finds the
kind asked for and the terms naming the meeting, and :func:`select_meeting_elements` picks
the matching lists among the stored elements. Both are pure (no store access); the caller
(``ask``) lists every item with its own citation.

A question about a topic ("What has been recommended about diaspora associations?") yields
a request with a kind and no meeting terms; :func:`select_meeting_elements` then returns
nothing and the caller falls back to retrieval, ranking above passages the elements that
share a word with the question's topic (:func:`topic_of`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.text import fold_words as fold
from ingest.elements import meeting_term_matches
from ingest.models import ELEMENT_KINDS, Element, ElementKind

if TYPE_CHECKING:
    from assistant.terminology import Terminology

KIND_QUESTION_PATTERNS: dict[ElementKind, tuple[str, ...]] = {
    "key_message": (
        r"\bmessages? (?:essentiels?|cles?|principaux|importants?|centraux)\b",
        r"\bprincipaux messages\b",
        r"\b(?:key|main|core|central) messages?\b",
        r"\bmensajes? (?:clave|principales|esenciales|centrales)\b",
        r"\bprincipales mensajes\b",
    ),
    "guiding_question": (
        r"\bquestions? (?:directrices?|d'orientation)\b",
        r"\bquestions? (?:pour|visant a|destinees? a) (?:orienter|guider|alimenter)\b",
        r"\b(?:guiding|discussion|framing) questions?\b",
        r"\bquestions? (?:for|to guide|to frame) (?:the )?(?:discussion|debate)\b",
        r"\bquestions?\b.{0,40}\b(?:put to|posed (?:to|at|in)|asked (?:to|at|in)|"
        r"submitted to|posees?|soumises?)\b",
        r"\bpreguntas? (?:orientadoras?|rectoras?|directrices?|guia)\b",
        r"\bpreguntas? (?:para|que) (?:orientar|guiar)\b",
        r"\bpreguntas?\b.{0,40}\b(?:planteadas?|formuladas?|sometidas?)\b",
    ),
    "recommendation": (
        r"\brecommand(?:ations?|e|es|ee|ees|er|ait|aient)\b",
        r"\brecommend(?:ations?|ed|s)?\b",
        r"\brecomend(?:aciones|acion|ado|ada|ados|adas|o|aron|aba)\b",
        r"\bways? forward\b",
        r"\bmarches? a suivre\b",
        r"\bvias a seguir\b|\bpasos a seguir\b",
        r"\bpropuestas?\b|\bpropositions?\b|\bproposals?\b",
    ),
}
"""Kind -> regexes on the folded question (see :func:`ingest.elements.fold`); the fr/en/es
wordings of the list headings (:data:`ingest.elements.ELEMENT_HEADING_PATTERNS`) and the
verbs users ask with ("recommended", "recommandé", "recomendado")."""

_MEETING_WORD = (
    r"(?:r[ée]unions? th[ée]matiques?|thematic meetings?|reuni[óo]n(?:es)? tem[áa]ticas?|"
    r"ateliers?|workshops?|talleres|taller|r[ée]unions?|meetings?|reuni[óo]n(?:es)?|"
    r"s[ée]minaires?|seminars?|seminarios?|conf[ée]rences?|conferences?|conferencias?)"
)
_ROUNDTABLE_WORD = (
    r"(?:tables? rondes?|round[- ]?tables?|mesas? redondas?|sessions?|sesi[óo]n(?:es)?|"
    r"s[ée]ances?|rt)"
)
_NUMBER = r"\d+(?:\.\d+)*"
_NUMBERED_MEETING = re.compile(
    r"(?i)\b"
    + _ROUNDTABLE_WORD
    + r"\s*("
    + _NUMBER
    + r"(?:\s*(?:,|&|et|and|y|or|ou|o)\s*"
    + _NUMBER
    + r")*)"
)
_PREPOSITION = (
    r"(?:de la|de l'|de l’|del|de|d'|d’|du|des|of the|of|from the|from|at the|at|in|à|a|en|"
    r"held in|tenue? à|celebrad[oa] en)"
)
_PLACE = r"([^\W\d_][\w'’-]*(?:\s+[A-Z][\w'’-]*)?)"
_AFTER_MEETING_WORD = re.compile(
    r"(?i)\b" + _MEETING_WORD + r"\s+" + _PREPOSITION + r"\s*" + _PLACE
)
_BEFORE_MEETING_WORD = re.compile(
    r"\b([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s+(?i:" + _MEETING_WORD + r")\b"
)
_CAPITALISED_AFTER_PREPOSITION = re.compile(
    r"(?<![\w'’])(?:de la|de l'|de l’|del|de|d'|d’|du|of the|of|from the|from|at the|at|in|"
    r"à|en)\s*([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)"
)

_NOT_A_PLACE_WORDS = """
le la les l un une des du de d the a an el los las lo al del this that ce cette
gfmd fmmd forum global mondial mundial debate debat final finale
onu iom oim gmg odd sdg sdgs hlpf ue eu union european europeenne
messages message key guiding questions question recommendations recommandations
recomendaciones mensajes preguntas atelier workshop taller meeting reunion session
sesion table ronde roundtable mesa redonda what which quels quelles cuales que
planification planning development developpement desarrollo migration migracion
january february march april may june july august september october november december
janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
"""
_NOT_A_PLACE = frozenset(_NOT_A_PLACE_WORDS.split())
"""Words never taken as a meeting name: articles, forum and agency acronyms, the kind
words themselves, generic topic words that follow "l'atelier de…" in questions, and the
months ("in November 2007" dates, it names no meeting)."""


@dataclass(frozen=True)
class ElementRequest:
    """A question asking for the elements of a kind (``None``: every kind) of a meeting.

    Attributes:
        kind: the element kind asked for, or ``None`` when the question names several.
        meeting_terms: folded terms naming the meeting: roundtable/session numbers
            ("2.2") and place names ("chisinau", "new york"); empty when the question is
            about a topic rather than a meeting.
    """

    kind: ElementKind | None
    meeting_terms: tuple[str, ...] = ()


def detect_element_request(question: str) -> ElementRequest | None:
    """Recognise a question asking for key messages, guiding questions or recommendations.

    Args:
        question: the user's question, in French, English or Spanish.

    Returns:
        The request, or ``None`` when the question does not ask for any element kind,
        or asks for a number, a date or a name (:func:`assistant.question.asked_for`:
        "Who chaired the Forum that received the GMG proposal?" asks for a person, not
        for the recommendations its "proposal" names).
        Meeting terms come from (1) a roundtable/session number after "table ronde",
        "roundtable", "mesa redonda", "session"… ("2.2"); (2) a name after a meeting
        word and a preposition ("l'atelier de Chisinau", "workshop in Marseille"); (3) a
        capitalised name before a meeting word ("the Chisinau workshop"); (4) a
        capitalised name after "de/of/from/at/in/en/à" ("key messages from Marseille").
        Words of :data:`_NOT_A_PLACE` are never terms; a name after "about/sur/sobre" is
        a topic, not a meeting.
    """
    from assistant.question import asked_for  # question.py imports this module

    if asked_for(question) != "other":
        return None
    folded = fold(question)
    kinds = [
        kind
        for kind in ELEMENT_KINDS
        if any(re.search(p, folded) for p in KIND_QUESTION_PATTERNS[kind])
    ]
    if not kinds:
        return None
    kind: ElementKind | None = kinds[0] if len(kinds) == 1 else None
    return ElementRequest(kind=kind, meeting_terms=meeting_terms(question))


def topic_of(question: str) -> str:
    """The folded question without the words that ask for an element kind ("What key
    messages were adopted on remittances?" -> "what were adopted on remittances?"): what
    a topic request (a kind and no meeting) is about."""
    folded = fold(question)
    for kind in ELEMENT_KINDS:
        for pattern in KIND_QUESTION_PATTERNS[kind]:
            folded = re.sub(pattern, " ", folded)
    return " ".join(folded.split())


def names_meeting(term: str, text: str, terminology: Terminology | None = None) -> bool:
    """Whether a meeting term occurs in a meeting name or heading
    (:func:`ingest.elements.meeting_term_matches`), as written or as any of its
    equivalents in the terminology (:meth:`assistant.terminology.Terminology.equivalents`:
    "Batoumi" names the meeting the report heads "Batumi, Géorgie")."""
    alternatives = terminology.equivalents(term) if terminology is not None else (term,)
    return any(meeting_term_matches(t, text) for t in alternatives)


def select_meeting_elements(
    request: ElementRequest,
    elements: Sequence[Element],
    *,
    terminology: Terminology | None = None,
) -> list[list[Element]]:
    """The complete element lists of the meeting a request names.

    Args:
        request: from :func:`detect_element_request`.
        elements: candidate elements (e.g. every stored element), any order.
        terminology: when given, a meeting term also matches through its equivalents
            (:func:`names_meeting`).

    Returns:
        The lists (each grouped by doc id, heading and meeting, split where the ordinal
        restarts at 1, complete and in ordinal order) whose meeting name or heading
        matches the most meeting terms (at least one; see :func:`names_meeting`),
        restricted to the requested kind, in document order. ``[]`` when the request has no meeting terms or no list
        matches.
    """
    if not request.meeting_terms:
        return []
    pool = [e for e in elements if request.kind is None or e.kind == request.kind]
    lists = _group_lists(pool)
    scored: list[tuple[int, list[Element]]] = []
    for items in lists:
        first = items[0]
        hay = f"{first.meeting or ''} {first.heading}"
        score = sum(names_meeting(t, hay, terminology) for t in request.meeting_terms)
        if score:
            scored.append((score, items))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [items for score, items in scored if score == best]


def _group_lists(elements: Sequence[Element]) -> list[list[Element]]:
    """Group elements into their lists, in document order."""
    ordered = sorted(elements, key=lambda e: (e.doc_id, e.start, e.end))
    lists: list[list[Element]] = []
    by_key: dict[tuple[str, str, str, str | None], list[Element]] = {}
    for e in ordered:
        key = (e.doc_id, e.kind, e.heading, e.meeting)
        current = by_key.get(key)
        if current is None or e.ordinal <= current[-1].ordinal:
            current = []
            by_key[key] = current
            lists.append(current)
        current.append(e)
    return lists


def meeting_terms(question: str) -> tuple[str, ...]:
    """The meetings a question names, folded: roundtable/session numbers ("2.2") and
    place names ("chisinau"); empty when it names none."""
    terms: list[str] = []

    def add(term: str) -> None:
        words = [w for w in re.findall(r"[\w'’-]+", term) if fold(w) not in _NOT_A_PLACE]
        folded = fold(" ".join(words))
        if folded and len(folded) > 1 and folded not in terms:
            terms.append(folded)

    for m in _NUMBERED_MEETING.finditer(question):
        for number in re.findall(_NUMBER, m.group(1)):
            if number not in terms:
                terms.append(number)
    for m in _AFTER_MEETING_WORD.finditer(question):
        place = m.group(1)
        second = place.split()[1:] if " " in place else []
        if second and not second[0][:1].isupper():
            place = place.split()[0]
        add(place)
    for pattern in (_BEFORE_MEETING_WORD, _CAPITALISED_AFTER_PREPOSITION):
        for m in pattern.finditer(question):
            if _after_topic_word(question, m.start()):
                continue
            add(m.group(1))
    return tuple(terms)


def _after_topic_word(question: str, pos: int) -> bool:
    """True when the name at ``pos`` follows "about/sur/sobre/on/concerning…": a topic."""
    before = fold(question[:pos]).split()[-3:]
    return any(
        w in {"about", "sur", "sobre", "on", "concerning", "regarding", "concernant", "acerca"}
        for w in before
    )
