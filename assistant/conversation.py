"""Conversation: rewrite a follow-up question into a standalone one before retrieval.

This is LangChain's history-aware retriever pattern (``create_history_aware_retriever``):
the chat history and the follow-up go to the chat model with a "contextualise the
question" instruction, and its reply, not the raw follow-up, is what the retriever
searches for. "And what did the Marseille workshop recommend?" after a question about
evaluation becomes a question that names evaluation. Without a model, the question is
used as asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from assistant.llm import ChatMessage, ChatModel, Role, complete
from assistant.models import KIND_NAMES
from gfmd.errors import LLMError

CONDENSE_SYSTEM_PROMPT = """\
Given a chat history and the user's latest question, which may refer to the history \
(pronouns, "and for X?", "the second one", "what about that meeting?"), rewrite the latest \
question as a standalone question that can be understood without the history: name the \
topic, document, meeting, year or element kind it refers to. Keep the language of the \
latest question. Do NOT answer the question. If it is already standalone, return it \
unchanged. Reply with the question only, without quotation marks or preamble."""

CONDENSE_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", CONDENSE_SYSTEM_PROMPT),
        MessagesPlaceholder("chat_history"),
        ("human", "{input}"),
    ]
)
"""The contextualisation prompt of LangChain's history-aware retriever, as a template."""

MAX_TURNS = 6
"""Most recent (question, answer) turns sent to the model; older ones rarely matter to a
follow-up and would only lengthen the prompt."""

MAX_ANSWER_CHARS = 1200
"""Characters kept of each past answer (its beginning): enough to name what it was about."""

_LABEL_RE = re.compile(
    r"^(?:(?:standalone|rewritten|reformulated)\s+)?(?:question|pregunta)(?:\s+\w+){0,2}\s*:\s*",
    re.I,
)
"""A "Standalone question:" / "Question autonome :" / "Pregunta reformulada:" label some
models put before the question."""

_ROLES: dict[str, Role] = {"system": "system", "human": "user", "ai": "assistant"}


def _history_messages(history: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for question, answer in list(history)[-MAX_TURNS:]:
        messages.append(HumanMessage(content=question))
        answer = answer.strip()
        if len(answer) > MAX_ANSWER_CHARS:
            answer = answer[:MAX_ANSWER_CHARS].rstrip() + " …"
        messages.append(AIMessage(content=answer))
    return messages


def condense_prompt(question: str, history: Sequence[tuple[str, str]]) -> list[ChatMessage]:
    """The rewrite prompt: system instruction, the last :data:`MAX_TURNS` turns, the question.

    Args:
        question: the user's latest question.
        history: earlier ``(question, answer)`` turns, oldest first.

    Returns:
        Chat messages ready for :meth:`ChatModel.stream`.
    """
    rendered = CONDENSE_PROMPT.format_messages(
        chat_history=_history_messages(history), input=question.strip()
    )
    return [ChatMessage(_ROLES[m.type], str(m.content)) for m in rendered]


def condense_question(
    question: str, history: Sequence[tuple[str, str]], *, llm: ChatModel | None
) -> str:
    """Rewrite a follow-up question into a standalone question from the chat history.

    Args:
        question: the user's latest question.
        history: earlier ``(question, answer)`` turns, oldest first.
        llm: the chat model; None keeps the question as asked.

    Returns:
        The standalone question; the question unchanged when there is no model, no
        history, the model fails (:class:`LLMError`, ``OSError``) or replies with nothing.
    """
    if llm is None or not history or not question.strip():
        return question
    try:
        reply = complete(llm, condense_prompt(question, history))
    except (LLMError, OSError):
        return question
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]  # "Standalone question:" on a line of its own
    rewritten = _LABEL_RE.sub("", lines[0]) if lines else ""
    rewritten = rewritten.strip().strip("\"'“”«»").strip()
    return rewritten or question


# ----------------------------------------------------- deterministic follow-ups
_FOLLOW_UP_START = re.compile(
    r"^(?:et|mais|quid|qu'en est-il|qu’en est-il|même chose|pareil|and|but|what about|"
    r"how about|same (?:for|with|question)|y|¿y|pero|qué hay de|que hay de|y qué|y que)\b",
    re.I,
)
"""Openings of an elliptical follow-up: "Et pour Chisinau ?", "What about Batumi?",
"¿Y para Marsella?"."""

MAX_FOLLOW_UP_WORDS = 10
"""Longest follow-up (words) still read as elliptical; a longer one is a new question."""

_ROUNDTABLE_RE = re.compile(
    r"(?i)\b(?:tables? rondes?|round[- ]?tables?|mesas? redondas?|sessions?|sesi[óo]n(?:es)?|"
    r"s[ée]ances?|RT)\s*(\d+(?:\.\d+)*)"
)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PLACE_RE = re.compile(r"(?<![\w'’])([A-ZÀ-Ý][\w'’-]+(?:[ -][A-ZÀ-Ý][\w'’-]+)?)")
_NOT_PLACE = frozenset(
    [
        "et",
        "mais",
        "pour",
        "and",
        "but",
        "what",
        "how",
        "about",
        "same",
        "y",
        "pero",
        "para",
        "qué",
        "que",
        "quid",
        "les",
        "la",
        "le",
        "the",
        "los",
        "las",
        "el",
        "de",
        "du",
        "des",
        "of",
        "in",
        "en",
        "à",
        "dans",
        "at",
        "for",
        "key",
        "guiding",
        "gfmd",
        "fmmd",
        "forum",
        "onu",
        "un",
        "iom",
        "oim",
    ]
)
"""Capitalised words never taken as a place in a follow-up (its opening words, articles,
acronyms)."""

_FEMININE = {"guiding_question", "recommendation"}

_LANG_WORDS = {
    "fr": {"et", "pour", "les", "quels", "quelles", "sont", "de", "du", "des", "l'", "à", "qu'en"},
    "en": {"and", "what", "the", "are", "of", "about", "for", "how", "which", "were", "in"},
    "es": {"y", "para", "los", "las", "cuáles", "cuales", "son", "del", "qué", "en", "¿y"},
}


@dataclass(frozen=True)
class FollowUpParts:
    """What an elliptical follow-up names (each None when it does not name it).

    Attributes:
        kind: an element kind ("Et les questions directrices ?").
        meeting: the meeting as written ("Chisinau", "table ronde 2.2").
        year: a four-digit year ("Et en 2017 ?").
    """

    kind: str | None = None
    meeting: str | None = None
    year: str | None = None


def _folded_aligned(text: str) -> str:
    """:func:`ingest.elements.fold` character by character, so that offsets in the result
    are offsets in ``text`` (a character whose folding is not one character is only
    lower-cased)."""
    from ingest.elements import fold

    out = []
    for c in text:
        f = fold(c)
        out.append(f if len(f) == 1 else c.lower())
    return "".join(out)


def _language(text: str) -> str:
    """``fr``, ``en`` or ``es`` from the question's function words (ties: the first)."""
    words = re.findall(r"[¿\w'’]+", text.lower().replace("’", "'"))
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _LANG_WORDS.items()}
    if "¿" in text:
        scores["es"] += 2
    return max(scores, key=lambda lang: scores[lang])


def is_follow_up(question: str) -> bool:
    """Whether a question reads as elliptical: it opens like a follow-up ("Et …", "And …",
    "What about …", "¿Y …") and has at most :data:`MAX_FOLLOW_UP_WORDS` words."""
    text = question.strip().lstrip("¿¡ ").strip()
    if len(text.split()) > MAX_FOLLOW_UP_WORDS:
        return False
    return bool(_FOLLOW_UP_START.match(text)) or question.strip().lower().startswith("¿y ")


def follow_up_parts(question: str) -> FollowUpParts:
    """The element kind, meeting and year a follow-up names.

    Args:
        question: the follow-up, e.g. "Et pour Chisinau ?", "And the guiding questions?".

    Returns:
        Its parts; the meeting is a roundtable/session with its number when there is one,
        else the first capitalised word (or pair) that is not an opening word or article.
    """
    from assistant.elements_answer import detect_element_request

    request = detect_element_request(question)
    kind = request.kind if request is not None else None
    meeting = None
    m = _ROUNDTABLE_RE.search(question)
    if m:
        meeting = m.group(0)
    else:
        for m in _PLACE_RE.finditer(question):
            words = [w for w in re.split(r"[ -]", m.group(1)) if w.lower() not in _NOT_PLACE]
            if words:
                meeting = " ".join(words)
                break
    y = _YEAR_RE.search(question)
    return FollowUpParts(kind=kind, meeting=meeting, year=y.group(1) if y else None)


def _kind_span(question: str, kind: str | None) -> tuple[int, int] | None:
    from assistant.elements_answer import KIND_QUESTION_PATTERNS

    folded = _folded_aligned(question)
    kinds = [kind] if kind else list(KIND_QUESTION_PATTERNS)
    for k in kinds:
        for pattern in KIND_QUESTION_PATTERNS[k]:  # type: ignore[index]
            m = re.search(pattern, folded)
            if m:
                return m.span()
    return None


def _meeting_span(question: str) -> tuple[int, int] | None:
    """Where the previous question names its meeting (a roundtable number with its word, or
    a place among :func:`assistant.elements_answer.meeting_terms`)."""
    from assistant.elements_answer import meeting_terms

    m = _ROUNDTABLE_RE.search(question)
    if m:
        return m.span()
    folded = _folded_aligned(question)
    for term in meeting_terms(question):
        if re.fullmatch(r"\d+(?:\.\d+)*", term):
            continue
        m = re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", folded)
        if m:
            return m.span()
    return None


def _agree(text: str, old_kind: str | None, new_kind: str, start: int) -> str:
    """Fix the interrogative/article before a replaced kind phrase ("Quels sont les
    messages" -> "Quelles sont les questions"; "los mensajes" -> "las preguntas")."""
    head, tail = text[:start], text[start:]
    feminine = new_kind in _FEMININE
    if old_kind is not None and (old_kind in _FEMININE) == feminine:
        return text
    if feminine:
        head = re.sub(r"\bQuels\b", "Quelles", head)
        head = re.sub(r"\bquels\b", "quelles", head)
        head = re.sub(r"\blos\s+$", "las ", head)
    else:
        head = re.sub(r"\bQuelles\b", "Quels", head)
        head = re.sub(r"\bquelles\b", "quels", head)
        head = re.sub(r"\blas\s+$", "los ", head)
    return head + tail


def resolve_follow_up(question: str, previous: str | None) -> str:
    """Rewrite an elliptical follow-up into a standalone question, without a model.

    The previous turn's request (element kind, meeting, document, year: its standalone
    question) is carried over and what the follow-up names replaces the matching part:
    after "Quels sont les messages essentiels de l'atelier de Marseille ?", "Et pour
    Chisinau ?" becomes "Quels sont les messages essentiels de l'atelier de Chisinau ?",
    and then "Et les questions directrices ?" becomes "Quelles sont les questions
    directrices de l'atelier de Chisinau ?". Works on French, English and Spanish
    wordings (``assistant.models.KIND_NAMES``, :data:`_FOLLOW_UP_START`).

    Args:
        question: the user's latest question.
        previous: the standalone question of the previous turn (None: first turn).

    Returns:
        The standalone question; ``question`` unchanged when it is not a follow-up
        (:func:`is_follow_up`), there is no previous question, or it names nothing this
        rule can carry (no kind, meeting or year).
    """
    if not previous or not previous.strip() or not is_follow_up(question):
        return question
    parts = follow_up_parts(question)
    if parts.kind is None and parts.meeting is None and parts.year is None:
        return question
    from assistant.elements_answer import detect_element_request

    text = previous.strip()
    lang = _language(text)
    prev_request = detect_element_request(text)
    prev_kind = prev_request.kind if prev_request is not None else None
    if parts.meeting:
        span = _meeting_span(text)
        if span:
            text = text[: span[0]] + parts.meeting + text[span[1] :]
        else:
            stem = text.rstrip(" ?？!.")
            suffix = {
                "fr": " (réunion de {m}) ?",
                "en": " (meeting in {m})?",
                "es": " (reunión de {m})?",
            }
            text = stem + suffix[lang].format(m=parts.meeting)
    if parts.year:
        m = _YEAR_RE.search(text)
        if m:
            text = text[: m.start()] + parts.year + text[m.end() :]
        else:
            stem = text.rstrip(" ?？!.")
            text = stem + {"fr": " en {y} ?", "en": " in {y}?", "es": " en {y}?"}[lang].format(
                y=parts.year
            )
    if parts.kind:
        phrase = KIND_NAMES[lang][parts.kind]
        span = _kind_span(text, prev_kind)
        if span:
            text = text[: span[0]] + phrase + text[span[1] :]
            text = _agree(text, prev_kind, parts.kind, span[0])
        else:
            meeting = parts.meeting or _span_text(text, _meeting_span(text))
            if meeting:
                text = {
                    "fr": "Quels sont les {k} de {m} ?",
                    "en": "What are the {k} of {m}?",
                    "es": "¿Cuáles son los {k} de {m}?",
                }[lang].format(k=phrase, m=meeting)
                text = _agree(text, None, parts.kind, text.index(phrase))
            else:
                stem = text.rstrip(" ?？!.")
                text = stem + {"fr": " : {k} ?", "en": ": {k}?", "es": ": {k}?"}[lang].format(
                    k=phrase
                )
    return text


def _span_text(text: str, span: tuple[int, int] | None) -> str | None:
    return text[span[0] : span[1]] if span else None


def standalone_question(
    question: str,
    history: Sequence[tuple[str, str]],
    *,
    llm: ChatModel | None,
) -> str:
    """The question actually answered in a conversation ("Answering: …").

    With a chat model, the model's rewrite (:func:`condense_question`); without one, the
    deterministic :func:`resolve_follow_up` from the previous turn's question.

    Args:
        question: the user's latest question.
        history: earlier ``(standalone question, answer)`` turns, oldest first.
        llm: the chat model, or None.

    Returns:
        The standalone question (``question`` itself when it needs no rewrite).
    """
    if llm is not None:
        return condense_question(question, history, llm=llm)
    previous = history[-1][0] if history else None
    return resolve_follow_up(question, previous)
