"""Follow-up questions rewritten into standalone questions (assistant.conversation)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.conversation import MAX_TURNS, condense_prompt, condense_question
from assistant.llm import ChatMessage, LangChainChatModel, make_chat_model
from gfmd.errors import LLMError
from gfmd.settings import LLMSettings
from tests.openai_stub import OpenAIStub, StubError

HISTORY = [
    (
        "Quels messages essentiels l'atelier de Marseille a-t-il adoptés ?",
        "Il conviendrait de promouvoir une « culture de l'évaluation » [1].",
    )
]
FOLLOW_UP = "Et celui de Chisinau ?"
STANDALONE = "Quels messages essentiels l'atelier de Chisinau a-t-il adoptés ?"


class RecordingModel:
    """Replays canned replies and records the prompts it was given."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.prompts: list[list[ChatMessage]] = []

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        self.prompts.append(list(messages))
        yield self.replies.pop(0)


class FailingModel:
    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        raise LLMError("fake", "connection refused", unreachable=True)
        yield ""  # pragma: no cover - makes this a generator


def test_follow_up_is_rewritten_from_the_history_with_a_langchain_fake() -> None:
    llm = LangChainChatModel(FakeListChatModel(responses=[STANDALONE]))
    assert condense_question(FOLLOW_UP, HISTORY, llm=llm) == STANDALONE


def test_prompt_carries_the_history_as_turns_then_the_question() -> None:
    model = RecordingModel(STANDALONE)
    condense_question(FOLLOW_UP, HISTORY, llm=model)
    (prompt,) = model.prompts
    assert [m.role for m in prompt] == ["system", "user", "assistant", "user"]
    assert "standalone" in prompt[0].content and "Do NOT answer" in prompt[0].content
    assert prompt[1].content == HISTORY[0][0]
    assert prompt[2].content == HISTORY[0][1]
    assert prompt[3].content == FOLLOW_UP


def test_only_recent_turns_are_sent() -> None:
    history = [(f"question {i}", f"answer {i}") for i in range(MAX_TURNS + 3)]
    prompt = condense_prompt("et ensuite ?", history)
    assert len(prompt) == 2 + 2 * MAX_TURNS
    assert prompt[1].content == f"question {3}"


@pytest.mark.parametrize(
    "reply",
    [
        f"Standalone question: {STANDALONE}",
        f"« {STANDALONE} »",
        f"Question autonome :\n{STANDALONE}",
        f"  {STANDALONE}\n",
    ],
)
def test_labels_and_quotes_around_the_rewrite_are_removed(reply: str) -> None:
    assert condense_question(FOLLOW_UP, HISTORY, llm=RecordingModel(reply)) == STANDALONE


def test_without_model_or_history_the_question_is_unchanged() -> None:
    model = RecordingModel("should not be used")
    assert condense_question(FOLLOW_UP, HISTORY, llm=None) == FOLLOW_UP
    assert condense_question(FOLLOW_UP, [], llm=model) == FOLLOW_UP
    assert model.prompts == []


def test_on_model_error_or_empty_reply_the_question_is_unchanged() -> None:
    assert condense_question(FOLLOW_UP, HISTORY, llm=FailingModel()) == FOLLOW_UP
    assert condense_question(FOLLOW_UP, HISTORY, llm=RecordingModel("  \n")) == FOLLOW_UP


def test_rewrite_through_the_openai_stub() -> None:
    with OpenAIStub([STANDALONE, StubError(500, "boom")]) as stub:
        llm = make_chat_model(LLMSettings(backend="openai", base_url=stub.base_url, model="m"))
        assert condense_question(FOLLOW_UP, HISTORY, llm=llm) == STANDALONE
        assert condense_question(FOLLOW_UP, HISTORY, llm=llm) == FOLLOW_UP  # server error
    roles = [m["role"] for m in stub.requests[0]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
