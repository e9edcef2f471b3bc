"""The deterministic follow-up resolver (issue 12 item 3): without a chat model, an
elliptical follow-up carries the previous turn's kind, meeting and year."""

from __future__ import annotations

import pytest

from assistant.conversation import (
    follow_up_parts,
    is_follow_up,
    resolve_follow_up,
    standalone_question,
)

MARSEILLE_FR = "Quels sont les messages essentiels de l'atelier de Marseille ?"


def test_french_chain_carries_kind_then_meeting() -> None:
    chisinau = resolve_follow_up("Et pour Chisinau ?", MARSEILLE_FR)
    assert chisinau == "Quels sont les messages essentiels de l'atelier de Chisinau ?"
    guiding = resolve_follow_up("Et les questions directrices ?", chisinau)
    assert guiding == "Quelles sont les questions directrices de l'atelier de Chisinau ?"


@pytest.mark.parametrize(
    ("previous", "follow_up", "expected"),
    [
        (
            "What are the key messages of the Marseille workshop?",
            "What about Batumi?",
            "What are the key messages of the Batumi workshop?",
        ),
        (
            "¿Cuáles son los mensajes clave del taller de Chisinau?",
            "¿Y para Marsella?",
            "¿Cuáles son los mensajes clave del taller de Marsella?",
        ),
        (
            "¿Cuáles son los mensajes clave del taller de Marsella?",
            "¿Y las preguntas orientadoras?",
            "¿Cuáles son las preguntas orientadoras del taller de Marsella?",
        ),
        (
            "Quelles questions directrices ont été posées à la table ronde 1.1 ?",
            "Et la table ronde 2.2 ?",
            "Quelles questions directrices ont été posées à la table ronde 2.2 ?",
        ),
        (
            "What did the 2011 report recommend on diasporas?",
            "And in 2017?",
            "What did the 2017 report recommend on diasporas?",
        ),
        (
            "Quels messages essentiels l'atelier de Marseille a-t-il adoptés ?",
            "Et celui de Chisinau ?",
            "Quels messages essentiels l'atelier de Chisinau a-t-il adoptés ?",
        ),
    ],
)
def test_follow_up_replaces_what_it_names(previous: str, follow_up: str, expected: str) -> None:
    assert resolve_follow_up(follow_up, previous) == expected


def test_standalone_questions_and_first_turns_are_unchanged() -> None:
    new = "What do impact evaluations examine?"
    assert resolve_follow_up(new, MARSEILLE_FR) == new
    assert resolve_follow_up("Et pour Chisinau ?", None) == "Et pour Chisinau ?"
    assert resolve_follow_up("Et alors ?", MARSEILLE_FR) == "Et alors ?"  # names nothing
    assert not is_follow_up("Et " + "mot " * 20)


def test_parts_of_a_follow_up() -> None:
    parts = follow_up_parts("Et les recommandations de 2017 pour Batumi ?")
    assert (parts.kind, parts.meeting, parts.year) == ("recommendation", "Batumi", "2017")


class _Replay:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    def stream(self, messages, **_: object):
        yield self.reply


def test_standalone_question_uses_the_model_rewrite_when_configured() -> None:
    history = [(MARSEILLE_FR, "…")]
    assert standalone_question("Et pour Chisinau ?", history, llm=None).endswith("Chisinau ?")
    rewritten = standalone_question(
        "Et pour Chisinau ?",
        history,
        llm=_Replay("Messages de Chisinau ?"),  # type: ignore[arg-type]
    )
    assert rewritten == "Messages de Chisinau ?"


def test_gfmd_chat_prints_the_question_it_answers(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import io

    from gfmd.cli import main
    from gfmd.settings import get_settings
    from tests.test_ui import build_index

    settings = build_index(tmp_path)
    monkeypatch.setenv("GFMD_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
    get_settings.cache_clear()
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO("Quels sont les messages essentiels de Marseille ?\nEt pour Chisinau ?\n"),
    )
    try:
        assert main(["chat"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    # the interpretation is announced in the question's language
    assert "Question traitée : Quels sont les messages essentiels de Chisinau ?" in out
    assert out.index("Question traitée :") < out.rindex(
        "Q: Quels sont les messages essentiels de Chisinau ?"
    )
