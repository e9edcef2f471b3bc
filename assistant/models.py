"""Typed values of the assistant stage: search hits, citations and answers.

These map one-to-one onto the CLI's JSON contract (see :meth:`Hit.to_json`,
:meth:`Answer.to_json`); fields may be added, never renamed or dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.elements import meeting_kind
from ingest.models import Element, Passage

KIND_NAME: dict[str, dict[str, str]] = {
    "en": {
        "key_message": "key message",
        "guiding_question": "guiding question",
        "recommendation": "recommendation",
    },
    "fr": {
        "key_message": "message essentiel",
        "guiding_question": "question directrice",
        "recommendation": "recommandation",
    },
    "es": {
        "key_message": "mensaje clave",
        "guiding_question": "pregunta orientadora",
        "recommendation": "recomendación",
    },
}
"""Language -> element kind -> its name, singular (the list headings of the reports:
"Messages essentiels", "Questions directrices"; "Preguntas orientadoras")."""

KIND_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "key_message": "key messages",
        "guiding_question": "guiding questions",
        "recommendation": "recommendations",
    },
    "fr": {
        "key_message": "messages essentiels",
        "guiding_question": "questions directrices",
        "recommendation": "recommandations",
    },
    "es": {
        "key_message": "mensajes clave",
        "guiding_question": "preguntas orientadoras",
        "recommendation": "recomendaciones",
    },
}
"""Language -> element kind -> its name, plural (as :data:`KIND_NAME`)."""


def titled(title: str, year: object) -> str:
    """``"Title (2011)"``; the title alone when it already ends with its year in
    parentheses (the UN report is titled "… rapport du Secrétaire général (2008)")."""
    if year is None or year == "":
        return title
    suffix = f"({year})"
    return title if title.rstrip().endswith(suffix) else f"{title} {suffix}"


def locator_label(
    page_start: int | None,
    page_end: int | None,
    paragraph_start: int | None = None,
    paragraph_end: int | None = None,
) -> str:
    """Where a cited unit is, as a reader checks it: ``"p. 4"``, ``"pp. 4-5"``,
    ``"para. 12"``, ``"paras. 12-13"``, ``"p. 4, para. 12"``; ``""`` when the source has
    neither pages nor paragraph numbers (the views then say "no page numbers in this source": ``ui.strings`` key ``no_locator``).

    Args:
        page_start, page_end: physical pages (1-based), or None.
        paragraph_start, paragraph_end: the document's own paragraph numbers, or None.
    """
    parts = []
    if page_start is not None:
        if page_end is not None and page_end != page_start:
            parts.append(f"pp. {page_start}-{page_end}")
        else:
            parts.append(f"p. {page_start}")
    if paragraph_start is not None:
        if paragraph_end is not None and paragraph_end != paragraph_start:
            parts.append(f"paras. {paragraph_start}-{paragraph_end}")
        else:
            parts.append(f"para. {paragraph_start}")
    return ", ".join(parts)


def json_locator(j: dict[str, Any]) -> str:
    """:func:`locator_label` of a hit, citation or element JSON object."""
    return locator_label(
        j.get("page_start"), j.get("page_end"), j.get("paragraph_start"), j.get("paragraph_end")
    )


@dataclass(frozen=True)
class Filters:
    """Retrieval filters; ``None`` or empty means no constraint.

    Attributes:
        doc_ids: keep only these documents.
        year_min, year_max: inclusive year range.
        languages: ISO 639-1 codes of the passages to keep.
        kinds: element kinds to keep (``key_message``...); when set, only elements match.
        meeting: case- and accent-insensitive substring of an element's meeting.
    """

    doc_ids: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    meeting: str | None = None


@dataclass(frozen=True)
class Hit:
    """One retrieved unit (a passage, or an element when ``element`` is set).

    Attributes:
        rank: 1-based rank in the result list.
        passage: the stored passage (for an element hit: the passage holding it).
        element: the element, for element hits.
        title, year: of the document.
        score: fused score (reciprocal rank fusion; higher is better; not comparable
            across queries).
        dense_score: cosine similarity of the query and the unit, in [-1, 1].
        doc_meeting: the document's meeting or chair (manifest), see :attr:`meeting`.
        lexical_rank: the unit's best 1-based rank in the lexical (BM25) rankings, or None
            when no word of the query (nor of its terminology expansion) is in the unit.
    """

    rank: int
    passage: Passage
    title: str
    year: int | None
    score: float
    dense_score: float = 0.0
    element: Element | None = None
    doc_meeting: str | None = None
    lexical_rank: int | None = None

    @property
    def span(self) -> tuple[int, int]:
        """The unit's character span in its document's cleaned text."""
        unit = self.element if self.element is not None else self.passage
        return unit.start, unit.end

    @property
    def own_meeting(self) -> str | None:
        """The meeting the unit itself belongs to: the element's, else the innermost
        meeting heading of the passage's section path ("Table ronde 3.1 : …"), else None."""
        if self.element is not None and self.element.meeting:
            return self.element.meeting
        for heading in reversed(self.passage.section):
            if meeting_kind(heading) is not None:
                return heading
        return None

    @property
    def meeting(self) -> str | None:
        """:attr:`own_meeting`, else the document's meeting or chair (manifest)."""
        return self.own_meeting or self.doc_meeting

    @property
    def unit_id(self) -> str:
        return self.element.element_id if self.element else self.passage.passage_id

    @property
    def text(self) -> str:
        return self.element.text if self.element else self.passage.text

    def to_json(self) -> dict[str, Any]:
        """The search hit JSON object of the CLI contract."""
        p = self.passage
        el = self.element
        return {
            "rank": self.rank,
            "passage_id": self.unit_id,
            "doc_id": p.doc_id,
            "title": self.title,
            "year": self.year,
            "page_start": el.page_start if el else p.page_start,
            "page_end": el.page_end if el else p.page_end,
            "section": " > ".join(el.section if el else p.section),
            "text": self.text,
            "score": round(self.score, 6),
            "language": p.language,
            "element_kind": el.kind if el else None,
            "meeting": self.meeting,
            "passage_label": p.label,
            "paragraph_start": el.paragraph_start if el else p.paragraph_start,
            "paragraph_end": el.paragraph_end if el else p.paragraph_end,
        }


@dataclass(frozen=True)
class Citation:
    """A numbered citation: a verbatim ``quote`` of a stored unit's ``text``.

    Invariant: ``quote in text`` (checked by :func:`assistant.answer.verify_citation`).
    """

    marker: int
    hit: Hit
    quote: str

    def to_json(self) -> dict[str, Any]:
        h = self.hit.to_json()
        return {
            "marker": self.marker,
            "passage_id": h["passage_id"],
            "doc_id": h["doc_id"],
            "title": h["title"],
            "year": h["year"],
            "page_start": h["page_start"],
            "page_end": h["page_end"],
            "section": h["section"],
            "quote": self.quote,
            "text": h["text"],
            "language": h["language"],
            "element_kind": h["element_kind"],
            "meeting": h["meeting"],
            "passage_label": h["passage_label"],
            "paragraph_start": h["paragraph_start"],
            "paragraph_end": h["paragraph_end"],
        }


@dataclass(frozen=True)
class Answer:
    """The assistant's answer to a question.

    Attributes:
        question: as asked.
        status: ``answered`` or ``not_found``.
        text: the answer text with ``[n]`` markers (empty when not found).
        citations: the numbered citations, marker order.
        closest: when ``not_found``, the nearest hits offered as closest material (never
            cited as support).
        mode: ``extractive`` or ``generative``.
        question_language: detected ISO 639-1 code of the question, or None.
        notice: a user-facing remark (e.g. "sources are in French", a fallback notice).
        dropped_markers: generative mode: markers the model wrote that point at no source.
        unsupported: generative mode: sentences not supported by the passages they cite.
    """

    question: str
    status: Literal["answered", "not_found"]
    text: str
    citations: tuple[Citation, ...] = ()
    closest: tuple[Hit, ...] = ()
    mode: Literal["extractive", "generative"] = "extractive"
    question_language: str | None = None
    notice: str | None = None
    dropped_markers: int = 0
    unsupported: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The ask JSON object of the CLI contract."""
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "mode": self.mode,
            "question_language": self.question_language,
            "notice": self.notice,
            "dropped_markers": self.dropped_markers,
            "unsupported": list(self.unsupported),
            "closest": [h.to_json() for h in self.closest],
        }


@dataclass(frozen=True)
class StreamEvent:
    """One event of :func:`assistant.answer.ask_stream`, in this order:

    - ``kind="sources"``: ``hits`` are the retrieved units the answer may cite (once);
    - ``kind="token"``: ``token`` is the next piece of answer text (zero or more);
    - ``kind="answer"``: ``answer`` is the final, verified :class:`Answer` (once, last).

    The final answer is authoritative: a UI replaces the streamed text with
    ``answer.text`` (verification may drop markers the tokens contained).
    """

    kind: Literal["sources", "token", "answer"]
    hits: tuple[Hit, ...] = ()
    token: str = ""
    answer: Answer | None = None
