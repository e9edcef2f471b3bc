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

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from assistant.llm import ChatMessage, ChatModel, Role, complete
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
