"""Element requests in questions and selection of a meeting's lists (assistant/elements_answer.py)."""

from __future__ import annotations

import pytest

from assistant.elements_answer import (
    ElementRequest,
    detect_element_request,
    names_meeting,
    select_meeting_elements,
    topic_of,
)
from assistant.terminology import Concept, Terminology, load_terminology
from gfmd.settings import Settings
from ingest.elements import extract_elements
from tests.test_elements_support import make_doc

TERMINOLOGY = Settings().terminology


@pytest.mark.parametrize(
    ("question", "kind", "terms"),
    [
        (
            "Quels sont les messages essentiels de l'atelier de Chisinau ?",
            "key_message",
            ("chisinau",),
        ),
        ("What guiding questions were put to roundtable 2.2?", "guiding_question", ("2.2",)),
        (
            "¿Cuáles son las preguntas orientadoras de la mesa redonda 1.2?",
            "guiding_question",
            ("1.2",),
        ),
        ("recommendations of session 3.3", "recommendation", ("3.3",)),
        (
            "Quelles sont les marches à suivre possibles de la table ronde 3.3 ?",
            "recommendation",
            ("3.3",),
        ),
        ("Key messages from the New York meeting?", "key_message", ("new york",)),
        ("Chisinau workshop key messages", "key_message", ("chisinau",)),
        ("Messages clés de la réunion thématique de Marseille", "key_message", ("marseille",)),
        ("¿Qué recomendaciones hizo el taller de Taroudant?", "recommendation", ("taroudant",)),
        (
            "Key messages and recommendations of roundtables 1.1 and 1.2",
            None,
            ("1.1", "1.2"),
        ),
        # topic questions: a kind, no meeting
        ("What has been recommended about diaspora associations?", "recommendation", ()),
        ("Quelles recommandations sur l'Afrique ?", "recommendation", ()),
        ("¿Qué se ha recomendado sobre las remesas?", "recommendation", ()),
        ("What are the key messages on migration profiles?", "key_message", ()),
    ],
)
def test_detect_element_request(question, kind, terms):
    assert detect_element_request(question) == ElementRequest(kind=kind, meeting_terms=terms)


@pytest.mark.parametrize(
    "question",
    [
        "Qui a co-présidé la réunion de New York ?",
        "Quelles questions ont été évoquées à l'atelier de Chisinau ?",
        "What do impact evaluations examine?",
        "¿Qué es un perfil migratorio?",
        # a question for a person, a date or a number is not a list request, even when
        # it names what a list holds ("proposal") or a month after "in"
        "Who was the GFMD chair that received the GMG proposal in November 2007?",
        "¿En qué fecha respaldaron los jefes de agencias la propuesta?",
        "How many recommendations did roundtable 3.3 make?",
    ],
)
def test_questions_not_asking_for_elements(question):
    assert detect_element_request(question) is None


def _elements():
    d2011 = make_doc(
        [
            ("h", 1, "Réunion thématique : Intégrer\nChisinau, Moldavie, 12-13 octobre 2011"),
            ("h", 2, "Messages essentiels de l’atelier de Chisinau au Débat final"),
            ("li", "i", "i) Premier message de Chisinau."),
            ("li", "ii", "ii) Deuxième message de Chisinau."),
            ("h", 2, "Questions pour orienter la discussion du Débat final"),
            ("li", "1", "1. Première question de Chisinau ?"),
            ("h", 1, "Réunion thématique : Évaluer\nMarseille, France, 14-15 juin 2011"),
            ("h", 2, "Messages essentiels de l’atelier de Marseille au Débat final"),
            ("li", "i", "i) Message de Marseille."),
        ],
        doc_id="d2011",
    )
    d2017 = make_doc(
        [
            ("h", 2, "Table ronde 2.2 : Favoriser l’impact des migrants de retour"),
            ("h", 3, "Questions directrices"),
            ("p", "Quels sont les défis des migrants de retour ?"),
            ("p", "Dans quelle mesure les programmes de retour ont-ils un impact ?"),
            ("h", 2, "Table ronde 3.1 : Accroître le vivier de talents"),
            ("h", 3, "Questions directrices"),
            ("p", "Comment satisfaire les besoins des employeurs ?"),
        ],
        doc_id="d2017",
        year=2017,
    )
    els = [*extract_elements(d2017), *extract_elements(d2011)]
    return list(reversed(els))  # any order in, document order out


def test_select_meeting_elements_by_place():
    req = detect_element_request("Quels sont les messages essentiels de l'atelier de Chisinau ?")
    assert req is not None
    (lst,) = select_meeting_elements(req, _elements())
    assert [e.text for e in lst] == [
        "Premier message de Chisinau.",
        "Deuxième message de Chisinau.",
    ]
    assert [e.ordinal for e in lst] == [1, 2]


def test_select_meeting_elements_by_roundtable_number():
    req = detect_element_request("What guiding questions were put to roundtable 2.2?")
    assert req is not None
    (lst,) = select_meeting_elements(req, _elements())
    assert [e.doc_id for e in lst] == ["d2017", "d2017"]
    assert lst[0].text.startswith("Quels sont les défis")
    assert lst[1].ordinal == 2


def test_select_all_kinds_of_a_meeting():
    lists = select_meeting_elements(ElementRequest(None, ("chisinau",)), _elements())
    assert [(lst[0].kind, len(lst)) for lst in lists] == [
        ("key_message", 2),
        ("guiding_question", 1),
    ]


def test_select_nothing_for_topic_or_unknown_meeting():
    els = _elements()
    assert select_meeting_elements(ElementRequest("recommendation", ()), els) == []
    assert select_meeting_elements(ElementRequest("key_message", ("2.2",)), els) == []
    assert select_meeting_elements(ElementRequest("key_message", ("geneve",)), els) == []


def test_select_prefers_lists_matching_more_terms():
    req = ElementRequest("key_message", ("marseille", "juin"))
    (lst,) = select_meeting_elements(req, _elements())
    assert lst[0].text == "Message de Marseille."


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What key messages were adopted on remittances?", "what were adopted on remittances?"),
        ("¿Qué mensajes clave se adoptaron sobre las remesas?", "¿que se adoptaron sobre las remesas?"),
        ("Quelles recommandations sur l'Afrique ?", "quelles sur l'afrique ?"),
    ],
)  # fmt: skip
def test_topic_of_drops_the_words_asking_for_a_kind(question, topic):
    assert topic_of(question) == topic


def _resources_of(tmp_path, passages, elements):
    """Resources over a one-document store (hashing embedder) of ``passages`` with
    ``elements`` = [(kind, passage index)]."""
    from assistant.retrieve import resources
    from corpus.embeddings import HashingEmbedder
    from corpus.store import EmbeddedStore
    from gfmd.settings import EmbeddingSettings, Settings
    from tests.factories import make_doc as make_stored_doc

    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    doc = make_stored_doc("kms", passages, elements=elements)
    emb = HashingEmbedder()
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=emb.name, create=True)
    store.write([doc], vectors=emb.embed)
    store.close()
    return resources(settings)


def test_topic_request_cites_only_elements_on_its_topic(tmp_path):
    from assistant.answer import _OnTopic, ask, understand
    from assistant.retrieve import search

    res = _resources_of(
        tmp_path,
        [
            "Les profils migratoires doivent couvrir tous les aspects de la migration.",
            "Les évaluations des politiques migratoires doivent être intégrées en amont.",
            "Les transferts de fonds des migrants doivent être moins coûteux.",
        ],
        [("key_message", 0), ("key_message", 1), ("key_message", 2)],
    )
    for question in (
        "Quels messages clés ont été adoptés sur les transferts de fonds ?",
        "What key messages were adopted on remittances?",  # through the terminology
    ):
        answer = ask(question, res=res)
        cited = [c.hit.element for c in answer.citations if c.hit.element is not None]
        assert cited, question
        assert all("transferts de fonds" in e.text for e in cited), question
    # the check itself: elements sharing no word with the topic are out; a topic the
    # terminology cannot carry into French ("zorblax") removes nothing
    elements = search("messages", k=10, res=res, unit_types=("element",))
    assert len(elements) == 3
    for question, kept in (
        ("What key messages were adopted on remittances?", 1),
        ("What key messages were adopted on zorblax?", 3),
        ("Key messages of the Chisinau workshop on zorblax?", 3),  # names a meeting
    ):
        q = understand(question, res)
        on_topic = _OnTopic(res, q, detect_element_request(question))
        assert sum(map(on_topic, elements)) == kept, question


def test_a_month_is_never_a_meeting_term():
    request = detect_element_request("What was recommended to the Forum in November 2007?")
    assert request == ElementRequest(kind="recommendation", meeting_terms=())


def test_topic_request_answered_without_its_kind_says_so(tmp_path):
    from assistant.answer import ask

    res = _resources_of(
        tmp_path,
        [
            "Les profils migratoires doivent couvrir tous les aspects de la migration.",
            "Les transferts de fonds des migrants ont triplé depuis dix ans selon la Banque.",
        ],
        [("key_message", 0)],
    )

    passages_only = ask("Quels messages clés portent sur les transferts de fonds ?", res=res)
    assert passages_only.status == "answered"
    assert all(c.hit.element is None for c in passages_only.citations)
    assert passages_only.notice is not None
    assert "messages essentiels" in passages_only.notice

    english = ask("What key messages were adopted on remittances?", res=res)
    assert english.status == "answered" and english.notice is not None
    assert english.notice.startswith("No key messages on this topic were found")

    with_element = ask("Quels messages clés portent sur les profils migratoires ?", res=res)
    assert any(c.hit.element is not None for c in with_element.citations)
    assert with_element.notice is None or "messages essentiels" not in with_element.notice

    plain = ask("Les transferts de fonds ont-ils triplé ?", res=res)  # no kind asked for
    assert plain.notice is None or "messages essentiels" not in plain.notice


def test_a_meeting_named_by_its_exonym_in_the_terminology_is_selected():
    # the report heads the meeting "Chisinau"; a question may write the name as the
    # terminology's other languages do (the shipped table's Batoumi = Batumi row)
    cities = Terminology(
        [Concept("city_chisinau", {"en": ("Chisinau",), "fr": ("Kichinev",), "es": ()}, "")]
    )
    req = detect_element_request("Quels sont les messages essentiels de l'atelier de Kichinev ?")
    assert req == ElementRequest("key_message", ("kichinev",))
    assert select_meeting_elements(req, _elements()) == []
    (lst,) = select_meeting_elements(req, _elements(), terminology=cities)
    assert [e.text for e in lst] == [
        "Premier message de Chisinau.",
        "Deuxième message de Chisinau.",
    ]


def test_equivalents_are_the_whole_terms_concept_variants():
    table = load_terminology(TERMINOLOGY)
    assert set(table.equivalents("Batoumi")) == {"batoumi", "batumi"}
    assert table.equivalents("Batoumi")[0] == "batoumi"
    assert table.equivalents("Atlantis") == ("atlantis",)
    assert names_meeting("batoumi", "Batumi, Géorgie, 12-13 juillet 2011", table)
    assert not names_meeting("batoumi", "Batumi, Géorgie, 12-13 juillet 2011")
