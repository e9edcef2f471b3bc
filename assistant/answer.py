"""Answering: one entry, :func:`ask` (and :func:`ask_stream`, the same as events), whose
stages run in this order, each a function taking the typed values of the one before:

1. **understand** — :func:`assistant.question.analyse_question`: language, the question's
   embedding (computed once per ask), its years, names and the kind of fact it asks for;
2. **element lists** — a request for the key messages / guiding questions /
   recommendations of a named meeting is answered with the complete stored list
   (:func:`element_list_answer`);
3. **retrieve** — :func:`retrieve`: hybrid search (:func:`assistant.retrieve.search`);
4. **rerank** — :class:`assistant.rerank.Reranker` (identity by default);
5. **select** — :func:`assistant.select.close_enough` and
   :func:`assistant.select.holds_anchors` (which units support an answer) and
   :func:`assistant.select.select` (which units to cite and the sentence of each that
   answers, scored with stored sentence vectors);
6. **answer** — :func:`extractive_answer` (default; no language model) or the
   generative answerer (:mod:`assistant.generate`) when a chat model is configured;
7. **verify** — :func:`verify_citation`: every quote is a verbatim substring of the
   stored text it cites; a citation that fails is never shown.

A request for a kind of element on a topic ("Which key messages concern remittances?")
answered without citing an element of that kind carries a notice saying so
(:func:`topic_without_elements_notice`): the quotes are then other material.

When nothing supports an answer the status is ``not_found``, with no citations and the
nearest hits offered as ``closest`` material. A question that asks for a number ("how
many") or a date ("when") is ``not_found`` when no supporting unit has a sentence holding
one: the reports do not give that figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant.elements_answer import (
    ElementRequest,
    detect_element_request,
    names_meeting,
    select_meeting_elements,
    topic_of,
)
from assistant.models import KIND_NAME, KIND_NAMES, Answer, Citation, Filters, Hit, StreamEvent
from assistant.question import Question, analyse_question
from assistant.rerank import Reranker, default_reranker
from assistant.retrieve import Resources, meeting_as_stored, resources, search, validate
from assistant.select import close_enough, holds_anchors, holds_asked_for, select
from corpus.analysis import analyze
from corpus.text import sentence_spans
from gfmd.settings import Settings
from ingest.language import detect_language

if TYPE_CHECKING:
    from assistant.llm import ChatModel
    from assistant.terminology import Terminology

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

REQUIRE_ASKED_FOR = True
"""A "how many" / "when" question is answered only from a sentence holding a number /
date (see the module docstring). Chosen on the dev questions (quality report)."""


def verify_citation(quote: str, hit: Hit) -> bool:
    """True when ``quote`` is a non-empty verbatim substring of the hit's stored text."""
    return bool(quote.strip()) and quote in hit.text


def sentences(text: str) -> list[str]:
    """Split text into sentences (verbatim substrings, whitespace-trimmed)."""
    return [text[s:e] for s, e in sentence_spans(text, line_breaks=True)]


@dataclass
class _Ask:
    """Per-ask state shared by the stages: resources, the analysed question, the folded
    document texts read so far (one store read per document per ask) and, per document,
    whether it holds the question's anchors."""

    res: Resources
    question: Question
    folded_docs: dict[str, str] = field(default_factory=dict)
    anchored: dict[str, bool] = field(default_factory=dict)

    @property
    def threshold(self) -> float:
        t = self.res.settings.answer.min_dense_score
        return self.res.embedder.min_support_score if t is None else t

    def folded(self, doc_id: str) -> str:
        if doc_id not in self.folded_docs:
            self.folded_docs[doc_id] = self.res.store.document_text(doc_id, folded=True)
        return self.folded_docs[doc_id]

    def supports(self, hit: Hit) -> bool:
        """Whether a hit supports an answer: :func:`assistant.select.close_enough`, and
        :func:`assistant.select.holds_anchors` computed once per document."""
        if not close_enough(hit, threshold=self.threshold):
            return False
        doc_id = hit.passage.doc_id
        if doc_id not in self.anchored:
            folded = self.folded(doc_id) if self.question.has_anchors else ""
            self.anchored[doc_id] = holds_anchors(self.question, folded)
        return self.anchored[doc_id]


def understand(question: str, res: Resources) -> Question:
    """Stage 1: analyse the question once (language, embedding, anchors, asked-for)."""
    return analyse_question(
        question,
        language=detect_language(question),
        vector=res.embedder.embed([question], query=True)[0],
        terminology=res.terminology,
    )


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
    question: Question | str,
    hits: Sequence[Hit],
    res: Resources,
    *,
    question_language: str | None = None,
    kind: str | None = None,
) -> Answer:
    """Stages 5-7 without a model: select the supporting units and the sentence of each
    that answers, quote them verbatim with numbered citations, verify every quote.

    Args:
        question: the analysed question (a plain string is analysed here).
        hits: retrieved (and reranked) units, best first.
        res: loaded resources.
        question_language: overrides the question's detected language (for notices).
        kind: the element kind the question asks for (the caller's
            :func:`assistant.elements_answer.detect_element_request`), cited first.

    Returns:
        ``answered`` with at most ``answer.max_citations`` citations, or ``not_found``
        with the hits as closest material.
    """
    q = question if isinstance(question, Question) else understand(question, res)
    state = _Ask(res, q)
    q_lang = question_language or q.language
    supporting = _numbered_session_only(q, [h for h in hits if state.supports(h)])
    chosen = select(
        q, supporting, source=res.store, max_citations=res.settings.answer.max_citations, kind=kind
    )
    if REQUIRE_ASKED_FOR and q.asked_for in ("number", "date"):
        chosen = [c for c in chosen if holds_asked_for(c.quote, q)]
    citations: list[Citation] = []
    lines = []
    for sel in chosen:
        if not verify_citation(sel.quote, sel.hit):
            continue
        marker = len(citations) + 1
        citations.append(Citation(marker, sel.hit, sel.quote))
        lines.append(f"{_element_prefix(sel.hit, q_lang)}« {sel.quote} » [{marker}]")
    if not citations:
        return _not_found(q.text, q_lang, hits[:3])
    return Answer(
        q.text,
        "answered",
        "\n".join(lines),
        tuple(citations),
        (),
        "extractive",
        q_lang,
        _lang_note(q_lang, [c.hit for c in citations]),
    )


def _element_prefix(hit: Hit, lang: str | None) -> str:
    """``"[guiding question, Batumi, Géorgie, 12-13 juillet 2011] "`` before a quoted
    element, the kind named in the question's language (English when not en/fr/es); ``""``
    for a passage."""
    el = hit.element
    if el is None:
        return ""
    kind = KIND_NAME.get(lang or "en", KIND_NAME["en"])[el.kind]
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
        filters: every filter restricts the lists (documents, years, languages, kinds,
            meeting: a list outside the filters is never answered).

    Returns:
        The answer, or None when the question is not such a request or names no meeting
        the store knows (the caller then searches normally).
    """
    if request is None or request.kind is None or not request.meeting_terms:
        return None
    if filters.kinds and request.kind not in filters.kinds:
        return None
    meeting = meeting_as_stored(filters.meeting, res.store, res.terminology)
    elements = [
        e
        for e in res.store.elements(kind=request.kind, meeting=meeting or None)
        if (not filters.doc_ids or e.doc_id in filters.doc_ids)
        and (filters.year_min is None or (e.year is not None and e.year >= filters.year_min))
        and (filters.year_max is None or (e.year is not None and e.year <= filters.year_max))
        and (not filters.languages or e.language in filters.languages)
    ]
    groups = select_meeting_elements(request, elements, terminology=res.terminology)
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


_NO_MEETING_LIST = {
    "en": "No list of {kind} was found for a meeting matching “{terms}”",
    "fr": "Aucune liste de {kind} n’a été trouvée pour une réunion correspondant à « {terms} »",
    "es": "No se encontró ninguna lista de {kind} para una reunión que corresponda a «{terms}»",
}
_CLOSEST_FOLLOWS = {
    "en": "; the closest material follows.",
    "fr": " ; voici les passages les plus proches.",
    "es": "; siguen los pasajes más cercanos.",
}


_NO_TOPIC_ELEMENT = {
    "en": "No {kind} on this topic were found in the reports; the closest material follows.",
    "fr": "La recherche n’a trouvé aucun élément de type « {kind} » sur ce sujet ; voici les "
    "passages les plus proches.",
    "es": "No se encontraron {kind} sobre este tema en los informes; siguen los pasajes más "
    "cercanos.",
}
_ANY_KIND = {"en": "elements", "fr": "messages, questions ou recommandations", "es": "elementos"}


def topic_without_elements_notice(
    request: ElementRequest | None, answer: Answer, question_language: str | None
) -> str | None:
    """The message for a topic request ("Which key messages concern remittances?": a kind
    and no meeting) answered without citing any element of the kind asked for: the
    quotes are other material, and a delegate must not take them for key messages (an
    element of another kind is labelled with its kind). None for other questions, for
    ``not_found`` answers and when an element of the kind asked for is cited.
    """
    if request is None or request.meeting_terms or answer.status != "answered":
        return None
    if any(
        c.hit.element is not None and request.kind in (None, c.hit.element.kind)
        for c in answer.citations
    ):
        return None
    lang = question_language if question_language in _NO_TOPIC_ELEMENT else "en"
    kind = KIND_NAMES[lang][request.kind] if request.kind else _ANY_KIND[lang]
    return _NO_TOPIC_ELEMENT[lang].format(kind=kind)


def _with_notice(answer: Answer, *notices: str | None) -> Answer:
    """``answer`` with ``notices`` put before its own notice (None when there is none)."""
    notice = " ".join(n for n in (*notices, answer.notice) if n) or None
    return replace(answer, notice=notice)


def unmatched_meeting_notice(
    request: ElementRequest | None, question_language: str | None, *, closest: bool = True
) -> str | None:
    """The message for a request naming a meeting whose list the store does not have
    (called when :func:`element_list_answer` found none), or None for other questions.
    ``closest``: whether closest material follows (the message says so only then)."""
    if request is None or request.kind is None or not request.meeting_terms:
        return None
    lang = question_language if question_language in _NO_MEETING_LIST else "en"
    text = _NO_MEETING_LIST[lang].format(
        kind=KIND_NAMES[lang][request.kind], terms=" ".join(request.meeting_terms)
    )
    return text + (_CLOSEST_FOLLOWS[lang] if closest else ".")


def retrieve(
    question: Question,
    request: ElementRequest | None,
    res: Resources,
    filters: Filters,
    k: int | None = None,
) -> list[Hit]:
    """Stage 3: hits for answering, searched with the question's one embedding.

    For a question about a kind of element on a topic ("what has been recommended about
    diaspora associations?"), the elements that support an answer
    (:meth:`_Ask.supports`) and share a word with its topic (:class:`_OnTopic`) rank
    above plain passages — those of the kind
    asked for first, then the other kinds (a workshop's key messages are recommendations
    to the final debate too); otherwise plain hybrid search. Either way, hits of a meeting
    the question names come first (:func:`_meeting_first`). No hits at all for a question
    nothing anchors (:func:`_anchored`). ``request`` is what
    :func:`assistant.elements_answer.detect_element_request` found in the question."""
    k = k or res.settings.retrieval.top_k
    text, vec = question.text, question.vector
    if request is None or request.kind is None or filters.kinds:
        hits = search(text, k=k, filters=filters, res=res, query_vector=vec)
        return _meeting_first(question, hits, res.terminology) if _anchored(question, hits) else []
    state = _Ask(res, question)
    elements = search(
        text, k=k, filters=filters, res=res, unit_types=("element",), query_vector=vec
    )
    passages = search(
        text, k=k, filters=filters, res=res, unit_types=("passage",), query_vector=vec
    )
    # Only elements that support an answer go first; the others would push the evidence
    # out of the top k.
    on_topic = _OnTopic(res, question, request)
    elements = [e for e in elements if state.supports(e) and on_topic(e)]
    elements.sort(key=lambda h: h.element is None or h.element.kind != request.kind)
    merged = elements + [p for p in passages if not any(_overlaps(p, e) for e in elements)]
    return _meeting_first(question, merged[:k], res.terminology)


class _OnTopic:
    """Whether an element is about what a topic request asks about: its text shares an
    analyzed word with the question's topic (:func:`topic_of`, carried into the
    element's language by the terminology when the languages differ). Always True for a
    request naming a meeting, and when the topic has no word to compare in that
    language (the terminology does not know it): the check only ever removes elements
    that share nothing with a topic it can read."""

    def __init__(self, res: Resources, question: Question, request: ElementRequest) -> None:
        self.res = res
        self.question = question
        self.topic = "" if request.meeting_terms else topic_of(question.text)
        self.tokens: dict[str | None, frozenset[str]] = {}

    def _topic_tokens(self, language: str | None) -> frozenset[str]:
        if language not in self.tokens:
            text = self.topic
            if text and language != self.question.language and language is not None:
                text = self.res.terminology.expansion(text, self.question.language, language).text
            self.tokens[language] = frozenset(analyze(text, language)) if text else frozenset()
        return self.tokens[language]

    def __call__(self, hit: Hit) -> bool:
        if hit.element is None:
            return True
        language = hit.element.language or hit.passage.language
        wanted = self._topic_tokens(language)
        return not wanted or not wanted.isdisjoint(analyze(hit.element.text, language))


def _anchored(question: Question, hits: Sequence[Hit]) -> bool:
    """Whether the hits can ground an answer at all: False for a question in no language
    the detector identifies that shares no word with any hit ("asdfghjkl qwerty": the
    dense retriever always returns its nearest units, but nothing anchors them to the
    question). A question in an identified language may rely on the dense retriever
    alone (an English question over French reports), so it is always anchored."""
    return question.language is not None or any(h.lexical_rank is not None for h in hits)


def _in_named_meeting(
    terms: Sequence[str], hit: Hit, terminology: Terminology | None = None
) -> bool | None:
    """Whether a hit belongs to the meeting the question names: True when its own meeting
    and section path name every term (or a terminology equivalent of it,
    :func:`assistant.elements_answer.names_meeting`), False when it has a meeting of its
    own that does not, None when the question names no meeting or the hit has no meeting
    of its own."""
    own = hit.own_meeting
    if not terms or own is None:
        return None
    path = hit.element.section if hit.element else hit.passage.section
    context = " ".join((own, *path))
    return all(names_meeting(t, context, terminology) for t in terms)


def _meeting_first(
    question: Question, hits: Sequence[Hit], terminology: Terminology | None = None
) -> list[Hit]:
    """When the question names a meeting ("roundtable 3.1", "the Marseille workshop"),
    hits that belong to another meeting (neither their meeting nor their section path
    names it) go after the others; each group keeps retrieval order, hits with no meeting
    of their own stay in place; ranks renumbered."""
    terms = question.meetings
    # sorted() is stable: each group keeps retrieval order
    ordered = sorted(hits, key=lambda h: _in_named_meeting(terms, h, terminology) is False)
    return [replace(h, rank=i) for i, h in enumerate(ordered, start=1)]


def _numbered_session_only(question: Question, hits: Sequence[Hit]) -> list[Hit]:
    """The supporting hits of the numbered session the question names ("roundtable 3.1")
    when there are any: such a question is answered from roundtable 3.1's own text, not
    from another paper's footnote that mentions it. A place name ("the meeting in
    Manila") does not restrict the citations: a place hosts many meetings (the 2008
    Forum and a 2011 workshop in Manila), and the sentence scores decide among them.
    All hits when the question names no session or none of the hits belongs to it."""
    terms = [t for t in question.meetings if any(c.isdigit() for c in t)]
    own = [h for h in hits if _in_named_meeting(terms, h)]
    return own or list(hits)


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
    reranker: Reranker | None = None,
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
        reranker: the rerank stage (default :func:`assistant.rerank.default_reranker`).

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
            question,
            filters=filters,
            settings=settings,
            res=res,
            llm=llm,
            history=history,
            reranker=reranker,
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
    reranker: Reranker | None = None,
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
    request = detect_element_request(standalone)
    q_lang = detect_language(standalone)
    listed = element_list_answer(standalone, request, res, q_lang, filters)
    if listed is not None:
        yield StreamEvent("sources", hits=tuple(c.hit for c in listed.citations))
        yield from _tokens(listed.text)
        yield StreamEvent("answer", answer=replace(listed, question=question))
        return
    q = understand(standalone, res)
    hits = retrieve(q, request, res, filters)
    hits = (reranker or default_reranker()).rerank(q, hits)
    unmatched = unmatched_meeting_notice(request, q.language, closest=bool(hits))

    def fallback() -> Answer:
        answer = extractive_answer(q, hits, res, kind=request.kind if request else None)
        return replace(_with_notice(answer, unmatched), question=question)

    def finish(answer: Answer) -> Answer:
        return _with_notice(answer, topic_without_elements_notice(request, answer, q.language))

    if llm is None:
        answer = finish(fallback())
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
        question_language=q.language,
    ):
        if event.kind == "answer" and event.answer is not None:
            event = replace(event, answer=finish(replace(event.answer, question=question)))
        yield event


def _tokens(text: str) -> Iterator[StreamEvent]:
    for piece in re.findall(r"\S+\s*|\s+", text):
        yield StreamEvent("token", token=piece)


__all__ = ["ask", "ask_stream", "extractive_answer", "retrieve", "understand", "verify_citation"]
