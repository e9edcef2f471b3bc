"""Answering: the extractive answerer (default; no language model) and the entry points
:func:`ask` / :func:`ask_stream` that also route to the generative answerer when a chat
model is configured.

The extractive answer quotes, verbatim, the best sentence of each of the top supporting
units, each with a numbered citation. Every quote is checked to be a substring of the
stored text it cites (:func:`verify_citation`); a citation that fails is never shown.

When nothing supports an answer the status is ``not_found``, with no citations and the
nearest hits offered as ``closest`` material. "Supports" means (both):

- grounding in the question's anchors: every year (19xx/20xx) the question names occurs in
  the cited unit's document, and so do at least half of the names it gives (acronyms,
  capitalised names such as "Chisinau": :func:`assistant.terminology.neutral_tokens`),
  in any language the terminology resource knows ("Marsella" = "Marseille"); a question
  about a year or a place no report mentions is not answered from reports about others;
- semantic closeness: the unit's cosine similarity to the question is at least
  ``answer.min_dense_score``, by default the embedder's calibrated
  ``min_support_score`` (cosine scales differ per model).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from assistant.elements_answer import (
    ElementRequest,
    detect_element_request,
    meeting_terms,
    select_meeting_elements,
)
from assistant.models import Answer, Citation, Filters, Hit, StreamEvent
from assistant.retrieve import Resources, resources, search, validate
from assistant.terminology import neutral_token_spans
from corpus.analysis import analyze, fold
from gfmd.settings import Settings
from ingest.elements import meeting_term_matches

if TYPE_CHECKING:
    from assistant.llm import ChatModel
from ingest.language import detect_language

_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[«\"“A-ZÀ-Ý0-9(])|\n+")

LANGUAGE_NAMES = {
    "en": {"en": "English", "fr": "French", "es": "Spanish"},
    "fr": {"en": "anglais", "fr": "français", "es": "espagnol"},
    "es": {"en": "inglés", "fr": "francés", "es": "español"},
}
_SOURCES_IN = {
    "en": "The sources are in {langs}; quotes are verbatim.",
    "fr": "Les sources sont en {langs} ; les citations sont textuelles.",
    "es": "Las fuentes están en {langs}; las citas son textuales.",
}
_NOT_FOUND = {
    "en": "The reports in the corpus do not answer this question.",
    "fr": "Les rapports du corpus ne répondent pas à cette question.",
    "es": "Los informes del corpus no responden a esta pregunta.",
}


def verify_citation(quote: str, hit: Hit) -> bool:
    """True when ``quote`` is a non-empty verbatim substring of the hit's stored text."""
    return bool(quote.strip()) and quote in hit.text


def sentences(text: str) -> list[str]:
    """Split text into sentences (verbatim substrings, whitespace-trimmed)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def supports(question: str, hit: Hit, res: Resources) -> bool:
    """Whether a hit supports an answer to the question (see the module docstring)."""
    threshold = res.settings.answer.min_dense_score
    if threshold is None:
        threshold = res.embedder.min_support_score
    if hit.dense_score < threshold:
        return False
    years = set(_YEAR.findall(question))
    anchors = name_anchors(question, res)
    if not years and not anchors:
        return True
    doc_text = _doc_text(res, hit.passage.doc_id)
    if not all(y in doc_text for y in years):
        return False
    found = sum(1 for variants in anchors if any(_contains(doc_text, v) for v in variants))
    return found * 2 >= len(anchors)


def name_anchors(question: str, res: Resources) -> list[set[str]]:
    """The names a question gives, each as the set of folded forms that satisfy it.

    A name inside a terminology match ("Member States", "Foro Mundial sobre Migración y
    Desarrollo") is one anchor satisfied by any variant of that concept in any language;
    any other name or acronym ("Chisinau", "UNODC") is its own anchor.
    """
    concepts = res.terminology.match_spans(question)
    anchors: list[set[str]] = []
    used: set[int] = set()
    for start, end, token in neutral_token_spans(question):
        if token[0].isdigit():
            continue
        inside = [i for i, (s, e, _) in enumerate(concepts) if s <= start and end <= e]
        if inside:
            if inside[0] not in used:
                used.add(inside[0])
                concept = concepts[inside[0]][2]
                anchors.append({fold(v) for vs in concept.variants.values() for v in vs})
            continue
        anchors.append({fold(token)})
    return anchors


def _doc_text(res: Resources, doc_id: str) -> str:
    """The document's cleaned text, folded."""
    return res.store.document_text(doc_id, folded=True)


def _contains(folded_doc: str, variant: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(variant) + r"(?!\w)", folded_doc) is not None


def best_quote(question: str, qvec: np.ndarray, hit: Hit, res: Resources) -> tuple[str, float]:
    """The sentence of the hit's text closest to the question, and its score: cosine of
    the embeddings plus 0.02 per shared analyzed term (lexical tie-breaker). Sentences of
    at least 25 characters that end like a sentence are preferred over heading lines.
    Element hits are quoted whole (scored the same way)."""
    if hit.element is not None:
        cands = [hit.element.text]
    else:
        split = [s for s in sentences(hit.text) if len(s) >= 25]
        # Lines without closing punctuation are headings or titles: quoted only if nothing else.
        cands = [s for s in split if s[-1] in '.?!;:»”")'] or split or [hit.text.strip()]
    lang = hit.passage.language
    q_terms = set(analyze(question, lang))
    vecs = res.embedder.embed(cands)
    scores = vecs @ qvec + 0.02 * np.array([len(q_terms & set(analyze(s, lang))) for s in cands])
    best = int(np.argmax(scores))
    return cands[best], float(scores[best])


def _lang_note(question_language: str | None, hits: Sequence[Hit]) -> str | None:
    src = sorted({h.passage.language for h in hits if h.passage.language})
    if not question_language or not src or src == [question_language]:
        return None
    names = LANGUAGE_NAMES.get(question_language, LANGUAGE_NAMES["en"])
    template = _SOURCES_IN.get(question_language, _SOURCES_IN["en"])
    return template.format(langs=", ".join(names.get(s, s) for s in src))


def _not_found(
    question: str, q_lang: str | None, closest: Sequence[Hit], why: str | None = None
) -> Answer:
    text = _NOT_FOUND.get(q_lang or "en", _NOT_FOUND["en"])
    return Answer(question, "not_found", "", (), tuple(closest), "extractive", q_lang, why or text)


def extractive_answer(
    question: str, hits: Sequence[Hit], res: Resources, *, question_language: str | None = None
) -> Answer:
    """Quote the best sentence of each supporting hit, with numbered citations.

    Args:
        question: as asked.
        hits: retrieved units, best first.
        res: loaded resources.
        question_language: detected language of the question (for notices).

    Returns:
        ``answered`` with up to ``answer.max_citations`` citations, or ``not_found``
        with the hits as closest material.
    """
    supporting = [h for h in hits if supports(question, h, res)]
    if not supporting:
        return _not_found(question, question_language, hits[:3])
    supporting = supporting[: res.settings.answer.max_citations]
    qvec = res.embedder.embed([question], query=True)[0]
    citations: list[Citation] = []
    lines = []
    for hit in supporting:
        quote, _ = best_quote(question, qvec, hit, res)
        if not verify_citation(quote, hit):
            continue
        marker = len(citations) + 1
        citations.append(Citation(marker, hit, quote))
        prefix = _element_prefix(hit)
        lines.append(f"{prefix}« {quote} » [{marker}]")
    if not citations:
        return _not_found(question, question_language, hits[:3])
    return Answer(
        question,
        "answered",
        "\n".join(lines),
        tuple(citations),
        (),
        "extractive",
        question_language,
        _lang_note(question_language, [c.hit for c in citations]),
    )


def _element_prefix(hit: Hit) -> str:
    el = hit.element
    if el is None:
        return ""
    kind = el.kind.replace("_", " ")
    where = f", {el.meeting}" if el.meeting else ""
    return f"[{kind}{where}] "


def element_list_answer(
    question: str,
    request: ElementRequest | None,
    res: Resources,
    q_lang: str | None,
    filters: Filters,
) -> Answer | None:
    """Answer a request for the key messages / guiding questions / recommendations of a
    named meeting with the complete ordered list, one citation per item.

    Args:
        question: as asked.
        request: what :func:`assistant.elements_answer.detect_element_request` found in it.
        res: loaded resources.
        q_lang: the question's language.
        filters: documents and years restrict the lists.

    Returns:
        The answer, or None when the question is not such a request or names no meeting
        the store knows (the caller then searches normally).
    """
    if request is None or request.kind is None or not request.meeting_terms:
        return None
    elements = [
        e
        for e in res.store.elements(kind=request.kind)
        if (not filters.doc_ids or e.doc_id in filters.doc_ids)
        and (filters.year_min is None or (e.year is not None and e.year >= filters.year_min))
        and (filters.year_max is None or (e.year is not None and e.year <= filters.year_max))
    ]
    groups = select_meeting_elements(request, elements)
    if not groups:
        return None
    citations: list[Citation] = []
    lines: list[str] = []
    for group in groups:
        first = group[0]
        lines.append(
            f"{first.heading} — {first.meeting or first.title} ({first.title}, {first.year}):"
        )
        for el in group:
            passage = res.store.element_passage(el.element_id)
            hit = Hit(len(citations) + 1, passage, first.title, first.year, 1.0, 1.0, el)
            marker = len(citations) + 1
            citations.append(Citation(marker, hit, el.text))
            label = f"{el.label}) " if el.label and el.label != "•" else f"{el.ordinal}. "
            lines.append(f"{label}{el.text} [{marker}]")
    return Answer(
        question,
        "answered",
        "\n".join(lines),
        tuple(citations),
        (),
        "extractive",
        q_lang,
        _lang_note(q_lang, [c.hit for c in citations]),
    )


_KIND_NAMES = {
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
_NO_MEETING_LIST = {
    "en": "No list of {kind} was found for a meeting matching “{terms}”; the closest material follows.",
    "fr": "Aucune liste de {kind} n’a été trouvée pour une réunion correspondant à « {terms} » ; voici les passages les plus proches.",
    "es": "No se encontró ninguna lista de {kind} para una reunión que corresponda a «{terms}»; siguen los pasajes más cercanos.",
}


def unmatched_meeting_notice(
    request: ElementRequest | None, question_language: str | None
) -> str | None:
    """The message for a request naming a meeting whose list the store does not have
    (called when :func:`element_list_answer` found none), or None for other questions."""
    if request is None or request.kind is None or not request.meeting_terms:
        return None
    lang = question_language if question_language in _NO_MEETING_LIST else "en"
    return _NO_MEETING_LIST[lang].format(
        kind=_KIND_NAMES[lang][request.kind], terms=" ".join(request.meeting_terms)
    )


def retrieve_for_answer(
    question: str,
    request: ElementRequest | None,
    res: Resources,
    filters: Filters,
    k: int | None = None,
) -> list[Hit]:
    """Hits for answering. For a question about a kind of element on a topic ("what has
    been recommended about diaspora associations?"), the elements that support an answer
    (:func:`supports`) rank above plain passages — those of the kind asked for first, then
    the other kinds (a workshop's key messages are recommendations to the final debate
    too); otherwise plain hybrid search. Either way, hits of a meeting the question names
    come first (:func:`_meeting_first`). ``request`` is what
    :func:`assistant.elements_answer.detect_element_request` found in the question."""
    k = k or res.settings.retrieval.top_k
    if request is None or request.kind is None or filters.kinds:
        return _meeting_first(question, search(question, k=k, filters=filters, res=res))
    elements = search(question, k=k, filters=filters, res=res, unit_types=("element",))
    passages = search(question, k=k, filters=filters, res=res, unit_types=("passage",))
    # Only elements that support an answer go first; the others would push the evidence
    # out of the top k.
    elements = [e for e in elements if supports(question, e, res)]
    elements.sort(key=lambda h: h.element is None or h.element.kind != request.kind)
    merged = elements + [p for p in passages if not any(_overlaps(p, e) for e in elements)]
    return _meeting_first(question, merged[:k])


def _meeting_first(question: str, hits: Sequence[Hit]) -> list[Hit]:
    """When the question names a meeting ("roundtable 3.1", "the Marseille workshop"),
    hits that belong to another meeting (neither their meeting nor their section path
    names it) go after the others; each group keeps retrieval order, hits with no meeting
    of their own stay in place; ranks renumbered."""
    terms = meeting_terms(question)

    def elsewhere(hit: Hit) -> bool:
        own = hit.own_meeting
        if not terms or own is None:
            return False
        path = hit.element.section if hit.element else hit.passage.section
        context = " ".join((own, *path))
        return not all(meeting_term_matches(t, context) for t in terms)

    ordered = [h for h in hits if not elsewhere(h)] + [h for h in hits if elsewhere(h)]
    return [replace(h, rank=i) for i, h in enumerate(ordered, start=1)]


def _overlaps(a: Hit, b: Hit) -> bool:
    if a.passage.doc_id != b.passage.doc_id:
        return False
    (sa, ea), (sb, eb) = a.span, b.span
    return sa < eb and sb < ea


def ask(
    question: str,
    *,
    filters: Filters | None = None,
    settings: Settings | None = None,
    res: Resources | None = None,
    llm: ChatModel | None = None,
    history: Sequence[tuple[str, str]] = (),
) -> Answer:
    """Answer a question from the corpus with verified citations.

    Args:
        question: in English, French or Spanish.
        filters: restrict retrieval (documents, years, languages, element kinds).
        settings: defaults to :func:`gfmd.settings.get_settings`.
        res: loaded resources (store, embedder, terminology).
        llm: a chat model (:class:`assistant.llm.ChatModel`); None = extractive answer.
        history: previous (question, answer) turns; with a chat model, a follow-up is
            rewritten into a standalone question before retrieval.

    Returns:
        The answer (``status`` answered/not_found).

    Raises:
        QueryError: empty question or unknown filter values.
        StoreError: no index / index built with other settings.
    """
    answer: Answer | None = None
    res = res or resources(settings)
    with res.store.reader():  # one pinned store version for the whole answer
        for event in ask_stream(
            question, filters=filters, settings=settings, res=res, llm=llm, history=history
        ):
            if event.kind == "answer":
                answer = event.answer
    assert answer is not None
    return answer


def ask_stream(
    question: str,
    *,
    filters: Filters | None = None,
    settings: Settings | None = None,
    res: Resources | None = None,
    llm: ChatModel | None = None,
    history: Sequence[tuple[str, str]] = (),
) -> Iterator[StreamEvent]:
    """Like :func:`ask`, as events: ``sources`` (the hits), ``token`` pieces of the
    answer text, then the final ``answer``. See :class:`assistant.models.StreamEvent`."""
    res = res or resources(settings)
    filters = filters or Filters()
    question = validate(question, filters, res.store)
    standalone = question
    if llm is not None and history:
        from assistant.conversation import condense_question

        standalone = condense_question(question, history, llm=llm)
    q_lang = detect_language(standalone)
    request = detect_element_request(standalone)
    listed = element_list_answer(standalone, request, res, q_lang, filters)
    if listed is not None:
        yield StreamEvent("sources", hits=tuple(c.hit for c in listed.citations))
        yield from _tokens(listed.text)
        yield StreamEvent("answer", answer=replace(listed, question=question))
        return
    hits = retrieve_for_answer(standalone, request, res, filters)
    unmatched = unmatched_meeting_notice(request, q_lang)

    def fallback() -> Answer:
        answer = extractive_answer(standalone, hits, res, question_language=q_lang)
        notice = " ".join(n for n in (unmatched, answer.notice) if n) or None
        return replace(answer, question=question, notice=notice)

    if llm is None:
        answer = fallback()
        yield StreamEvent("sources", hits=tuple(c.hit for c in answer.citations) or tuple(hits))
        yield from _tokens(answer.text)
        yield StreamEvent("answer", answer=answer)
        return
    from assistant.generate import generate_answer_stream

    for event in generate_answer_stream(
        standalone,
        hits,
        llm=llm,
        settings=res.settings,
        fallback=fallback,
        question_language=q_lang,
    ):
        if event.kind == "answer" and event.answer is not None:
            event = replace(event, answer=replace(event.answer, question=question))
        yield event


def _tokens(text: str) -> Iterator[StreamEvent]:
    for piece in re.findall(r"\S+\s*|\s+", text):
        yield StreamEvent("token", token=piece)


__all__ = ["ask", "ask_stream", "extractive_answer", "verify_citation"]
