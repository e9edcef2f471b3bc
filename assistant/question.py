"""What the pipeline knows about a question, computed once per ask: its language, its
embedding, the terminology concepts and language-neutral names it holds, its years and
numbers, and what kind of fact it asks for.

Every later stage (retrieve, rerank, select, answer, verify) reads this value instead of
re-analysing the question text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.elements_answer import meeting_terms
from assistant.terminology import Terminology, neutral_token_spans
from corpus.text import fold, fold_words

AskedFor = Literal["number", "date", "name", "other"]

_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")

# Question openers per kind of fact asked for (folded, en/fr/es). "how many" asks for a
# number, "when" for a date, "who / which countries" for names. Source: the question
# types of the quality issue ("a how many / when / who question prefers the sentence
# holding a number, date or name").
_OPENERS = {
    "number": r"how many|how much|what (?:share|percentage|proportion|number|amount|sum)"
    r"|combien|quel(?:le)?s? (?:est le |sont les )?(?:nombre|part|pourcentage|montant|somme)"
    r"|cuant[oa]s?|que (?:porcentaje|proporcion|numero|cantidad|suma|monto)",
    "date": r"when|what year|which year|what dates?|since when|quand|en quelle annee"
    r"|a quelles? dates?|quelle annee|depuis quand|cuando|en que (?:ano|fecha)"
    r"|que (?:ano|fecha)s?|desde cuando",
    "name": r"who|whom|which (?:countries|country|states|organi[sz]ations?|agenc\w+)"
    r"|qui|quels? (?:pays|etats|organisations?)|quelles? (?:organisations?|agences?)"
    r"|quien(?:es)?|que (?:paises|estados|organizaciones|organismos)",
}
_CLAUSE_START = (
    r"(?:^|[¿,;:]\s*)(?:(?:and|but|et|mais|y|pero)\s+)?"
    r"(?:(?:by|in|for|from|since|until|at|to|a|en|pour|depuis|jusqu'a|de|desde|hasta|para"
    r"|por|durante)\s+)?"
)
# An opener asks only where a question's clause starts (the start, after "¿" or a
# comma: "According to the report, how many…", "¿Desde cuándo…"), or right before the
# question mark ("…a été créé quand ?"): elsewhere "when", "cuando", "qui" join clauses
# ("What is asked about plans when trainees…", "Qu'est-ce qui…").
_ASKS = {
    kind: re.compile(rf"{_CLAUSE_START}(?:{alt})\b|\b(?:{alt})\s*\?")
    for kind, alt in _OPENERS.items()
}
_INTERROGATIVE_CLAUSE = re.compile(
    r"[¿,;:]\s*(?:\w+\s+)?"
    r"(?:what|which|how|who|whom|when|where|why|que|qu'|quel\w*|qui|quand|comment|ou"
    r"|pourquoi|combien|cual\w*|quien\w*|cuando|como|donde|cuant\w*|por que)\b"
)
"""A later clause that is itself a question ("When displacement cannot be prevented,
what…", "Según el informe, ¿cuántos…"): it alone says what is asked for; the clauses
before it set the scene. A clause joined by "and" asks too, so it does not count here
("How many workshops, and in which countries?" asks for a number first)."""


@dataclass(frozen=True)
class Question:
    """A question, analysed once.

    Attributes:
        text: the (standalone) question as asked, stripped.
        language: detected ISO 639-1 code, or None.
        vector: (dim,) float32 L2-normalised query-side embedding; None when not embedded.
        years: four-digit years the question names ("2011").
        numbers: the other numbers it writes in digits ("roundtable 3.2", "Convention
            189", "target 10.7"): identifiers the evidence must hold, like its years.
        names: the names it gives, each as the set of folded forms that satisfy it (a
            terminology concept = any of its variants in any language; another name or
            acronym = itself): see :func:`name_anchors`.
        asked_for: the kind of fact asked for (number, date, name, other).
        meetings: the meetings it names, folded ("2.2", "chisinau"): see
            :func:`assistant.elements_answer.meeting_terms`.
    """

    text: str
    language: str | None
    vector: np.ndarray | None
    years: tuple[str, ...]
    names: tuple[frozenset[str], ...]
    asked_for: AskedFor
    meetings: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    @property
    def has_anchors(self) -> bool:
        """Whether the question names a year, a number or a name the evidence must hold."""
        return bool(self.years or self.numbers or self.names)


def asked_for(text: str) -> AskedFor:
    """The kind of fact a question asks for, from its opener words (en/fr/es).

    Args:
        text: the question.

    Returns:
        ``number`` ("how many", "combien", "cuántos"), ``date`` ("when", "quand",
        "cuándo"), ``name`` ("who", "which countries", "quién") or ``other``: read from
        the last clause that is itself a question, at a clause start or before "?"
        (:data:`_ASKS`).
    """
    folded = fold_words(text)
    clauses = [m.start() for m in _INTERROGATIVE_CLAUSE.finditer(folded)]
    if clauses:
        folded = folded[clauses[-1] :]
    for kind in ("number", "date", "name"):
        if _ASKS[kind].search(folded):
            return kind  # type: ignore[return-value]
    return "other"


def name_anchors(text: str, terminology: Terminology) -> tuple[frozenset[str], ...]:
    """The names a question gives, each as the set of folded forms that satisfy it.

    A name inside a terminology match ("Member States", "Foro Mundial sobre Migración y
    Desarrollo") is one anchor satisfied by any variant of that concept in any language;
    any other name or acronym ("Chisinau", "UNODC") is its own anchor. Numbers are not
    names.

    Args:
        text: the question.
        terminology: the concept resource.

    Returns:
        One set of folded forms per anchor, in question order.
    """
    concepts = terminology.match_spans(text)
    anchors: list[frozenset[str]] = []
    used: set[int] = set()
    for start, end, token in neutral_token_spans(text):
        if token[0].isdigit():
            continue
        inside = [i for i, (s, e, _) in enumerate(concepts) if s <= start and end <= e]
        if inside:
            if inside[0] not in used:
                used.add(inside[0])
                concept = concepts[inside[0]][2]
                anchors.append(frozenset(fold(v) for vs in concept.variants.values() for v in vs))
            continue
        anchors.append(frozenset({fold(token)}))
    return tuple(anchors)


def analyse_question(
    text: str,
    *,
    language: str | None,
    vector: np.ndarray | None,
    terminology: Terminology,
) -> Question:
    """Build the :class:`Question` every stage reads.

    Args:
        text: the standalone question, stripped.
        language: its detected language.
        vector: its query embedding, (dim,) float32, or None.
        terminology: the concept resource.

    Returns:
        The analysed question.
    """
    return Question(
        text=text,
        language=language,
        vector=vector,
        years=tuple(dict.fromkeys(_YEAR.findall(text))),
        names=name_anchors(text, terminology),
        asked_for=asked_for(text),
        meetings=meeting_terms(text),
        numbers=tuple(
            dict.fromkeys(
                t
                for _, _, t in neutral_token_spans(text)
                if t[0].isdigit() and not _YEAR.fullmatch(t)
            )
        ),
    )
