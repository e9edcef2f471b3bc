"""Language identification: the cheap detector answers clear texts, the accurate one the rest."""

from __future__ import annotations

import pytest

import ingest.language as language
from ingest.language import detect_language

MIXED = (
    "12 Il est composé des services de l’immigration d’El Salvador, du Guatemala, "
    "du Honduras et du Nicaragua."
)


@pytest.fixture
def modes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records the mode (True = low accuracy) of every detector detect_language asks for."""
    asked: list[bool] = []
    real = language._detector

    def recording(languages: tuple[str, ...], low_accuracy: bool = False):
        asked.append(low_accuracy)
        return real(languages, low_accuracy)

    monkeypatch.setattr(language, "_detector", recording)
    language._detect.cache_clear()  # scores memoised by earlier tests would hide the calls
    return asked


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Quelles recommandations sur les transferts de fonds des migrants ?", "fr"),
        ("What does mainstreaming migration into development planning mean?", "en"),
        ("¿Quién introdujo por primera vez los perfiles migratorios y en qué año?", "es"),
    ],
)
def test_clear_text_is_answered_without_the_high_accuracy_models(
    text: str, code: str, modes: list[bool]
) -> None:
    assert detect_language(text) == code
    assert modes == [True]


def test_unsure_low_accuracy_answer_is_checked_by_the_accurate_detector(modes: list[bool]) -> None:
    # Low-accuracy mode alone calls this French sentence Spanish (0.69).
    assert detect_language(MIXED) != "es"
    assert modes == [True, False]


def test_too_short_text_loads_no_detector(modes: list[bool]) -> None:
    assert detect_language("ODD 8") is None
    assert modes == []


def test_a_text_seen_again_is_not_scored_again(modes: list[bool]) -> None:
    question = "Quels sont les messages clés sur la protection des travailleurs migrants ?"
    assert detect_language(question) == detect_language(question) == "fr"
    assert modes == [True]


def test_function_words_overrule_a_sure_low_accuracy_guess() -> None:
    # lingua's low-accuracy mode says French at 0.985 for this one
    assert detect_language("Which key messages concern remittances?") == "en"
    assert detect_language("Quels messages clés portent sur les envois de fonds ?") == "fr"
    assert detect_language("¿Qué mensajes clave hay sobre las remesas?") == "es"
