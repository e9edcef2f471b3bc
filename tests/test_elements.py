"""Element extraction (ingest/elements.py) on hand-built documents."""

from __future__ import annotations

import pytest

from ingest.elements import extract_elements, fold, heading_element_kind, meeting_kind
from ingest.models import content_id
from tests.test_elements_support import make_doc


def _texts(elements):
    return [e.text for e in elements]


def _check_spans(doc, elements):
    for e in elements:
        assert doc.text[e.start : e.end] == e.text
        assert e.text == e.text.strip()
        assert e.element_id == content_id(doc.doc_id, e.kind, e.start, e.end)


# --- headings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Messages essentiels de l’atelier de Chisinau au Débat final du FMMD 2011", "key_message"),
        ("MESSAGES CLÉS", "key_message"),
        ("Key messages", "key_message"),
        ("Mensajes clave del taller", "key_message"),
        ("Questions pour orienter la discussion du Débat final", "guiding_question"),
        ("Questions directrices", "guiding_question"),
        ("Guiding questions", "guiding_question"),
        ("Questions for discussion", "guiding_question"),
        ("Preguntas orientadoras", "guiding_question"),
        ("4.2 Marches à suivre possibles", "recommendation"),
        ("Recommandations", "recommendation"),
        ("Recommendations", "recommendation"),
        ("Possible ways forward", "recommendation"),
        ("Recomendaciones", "recommendation"),
        ("Propuestas", "recommendation"),
        ("IV. Propositions", "recommendation"),
        (
            "4. QUESTIONS POUR ORIENTER LA DISCUSSION – MARCHES A SUIVRE POSSIBLES",
            "guiding_question",
        ),
        ("## **Key Messages**", "key_message"),
    ],
)
def test_classify_heading_kinds(heading, kind):
    assert heading_element_kind(heading) == kind


@pytest.mark.parametrize(
    "heading",
    [
        "Introduction",
        "Thèmes principaux et résultats de l’atelier de Chisinau",
        "Résultats attendus",
        "Propositions concernant la mise en place d'un mécanisme de financement à long terme pour le partenariat",
    ],
)
def test_classify_heading_rejects_other_headings(heading):
    assert heading_element_kind(heading) is None


def test_bare_questions_heading_needs_questions():
    doc = make_doc(
        [
            ("h", 1, "Questions"),
            ("li", "1", "1. Quelles mesures les États ont-ils prises ?"),
            ("li", "2", "2. Comment mesurer les progrès ?"),
            ("h", 1, "III. Questions"),
            ("p", "Les questions de migration sont traitées au niveau national."),
            ("p", "La coopération régionale reste limitée dans plusieurs domaines."),
        ]
    )
    els = extract_elements(doc)
    assert [(e.kind, e.label) for e in els] == [
        ("guiding_question", "1"),
        ("guiding_question", "2"),
    ]
    assert heading_element_kind("Questions", is_heading_block=False) is None


def test_paragraph_heading_must_look_like_a_heading():
    assert (
        heading_element_kind("Questions directrices", is_heading_block=False) == "guiding_question"
    )
    assert heading_element_kind("Recommandations :", is_heading_block=False) == "recommendation"
    sentence = "Recommandations et actions proposées ont été présentées lors de la réunion."
    assert heading_element_kind(sentence, is_heading_block=False) is None


def test_fold_removes_accents_case_and_apostrophes():
    assert fold("L’Atelier  de CHIȘINĂU") == "l'atelier de chisinau"
    assert fold("Marches à suivre") == "marches a suivre"


def test_meeting_kind():
    assert (
        meeting_kind("Table ronde 2.2 : Favoriser l’impact des migrants de retour") == "roundtable"
    )
    assert meeting_kind("Roundtable 1.1: Tools") == "roundtable"
    assert meeting_kind("Mesa redonda 3.2") == "roundtable"
    assert meeting_kind("Réunion thématique : Intégrer la migration") == "thematic_meeting"
    assert meeting_kind("Table ronde") is None
    assert meeting_kind("Introduction") is None


# --- list styles ----------------------------------------------------------------------


def test_roman_list_under_key_messages():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels"),
            ("li", "i", "i) Premier message sur la migration."),
            ("li", "ii", "ii) Deuxième message sur le développement."),
            ("li", "iii", "iii) Troisième message."),
            ("h", 1, "Annexe"),
            ("p", "Un paragraphe hors liste qui ne doit pas être un élément."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert _texts(els) == [
        "Premier message sur la migration.",
        "Deuxième message sur le développement.",
        "Troisième message.",
    ]
    assert [e.label for e in els] == ["i", "ii", "iii"]
    assert [e.ordinal for e in els] == [1, 2, 3]
    assert {e.kind for e in els} == {"key_message"}
    assert {e.heading for e in els} == {"Messages essentiels"}
    assert all(e.doc_id == "doc-1" and e.year == 2011 and e.language == "fr" for e in els)


def test_arabic_list_of_guiding_questions():
    doc = make_doc(
        [
            ("h", 2, "Questions pour orienter la discussion du Débat final"),
            ("li", "1", "1. Comment les examens par des pairs peuvent-ils aider ?"),
            ("li", "2", "2. Quelles sont les synergies entre les outils ?"),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert [e.label for e in els] == ["1", "2"]
    assert els[0].text.startswith("Comment les examens")
    assert {e.kind for e in els} == {"guiding_question"}


def test_lettered_list_and_label_free_span():
    doc = make_doc(
        [
            ("h", 1, "Recommandations"),
            ("p", "Les recommandations suivantes sont proposées :"),
            ("li", "a", "a) Renforcer la coopération régionale."),
            ("li", "b", "(b) Améliorer les données."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert _texts(els) == ["Renforcer la coopération régionale.", "Améliorer les données."]
    assert [e.label for e in els] == ["a", "b"]


def test_bulleted_list_label_is_empty():
    doc = make_doc(
        [
            ("h", 1, "Key messages"),
            ("li", "•", "• Migration is a driver of development."),
            ("li", "•", "\uf0b7 Data must be shared across governments."),
        ],
        language="en",
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert _texts(els) == [
        "Migration is a driver of development.",
        "Data must be shared across governments.",
    ]
    assert [e.label for e in els] == ["", ""]
    assert [e.ordinal for e in els] == [1, 2]


def test_glyph_lost_bullets_one_item_per_paragraph():
    doc = make_doc(
        [
            ("h", 2, "Table ronde 1.1 : Outils et garanties de la cohérence des politiques"),
            ("h", 3, "Résultats attendus"),
            ("p", "Le but de cette table ronde est d'examiner les outils."),
            ("h", 3, "Questions directrices"),
            ("p", " Quels sont les intérêts des différents acteurs ?"),
            (
                "p",
                "Quels exemples positifs de gouvernance cohérente existent ?\nPourraient-ils être adoptés ?",
            ),
            ("p", "Traduction"),
            ("p", "\uf0b7 Quelles sont les propositions en matière de recherche ?"),
            ("h", 2, "Table ronde 1.2 : Du programme mondial à la mise en œuvre"),
            ("h", 3, "Questions directrices"),
            ("p", "Quelles mesures spécifiques les États membres ont-ils prises ?"),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    first = [e for e in els if e.meeting and "1.1" in e.meeting]
    assert [e.text[:20] for e in first] == [
        "Quels sont les intér",
        "Quels exemples posit",
        "Quelles sont les pro",
    ]
    assert [e.label for e in first] == ["", "", ""]
    assert (
        first[0].meeting == "Table ronde 1.1 : Outils et garanties de la cohérence des politiques"
    )
    second = [e for e in els if e.meeting and "1.2" in e.meeting]
    assert len(second) == 1 and second[0].ordinal == 1


def test_heading_with_no_items_yields_nothing_and_keeps_next_list():
    doc = make_doc(
        [
            ("h", 1, "Recommandations"),
            ("h", 1, "Messages clés"),
            ("li", "1", "1. Un message."),
            ("h", 1, "Questions directrices"),
        ]
    )
    els = extract_elements(doc)
    assert [(e.kind, e.text) for e in els] == [("key_message", "Un message.")]


def test_empty_document_and_no_headings():
    assert extract_elements(make_doc([])) == ()
    assert extract_elements(make_doc([("p", "Texte sans liste.")])) == ()


# --- interruptions, pages, continuations ----------------------------------------------


def test_footnote_and_page_header_between_items_are_not_absorbed():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels"),
            ("li", "i", "i) Premier message."),
            ("page",),
            ("fn", 4, "Cette réunion était organisée par le Gouvernement de Moldavie."),
            ("p", "PHILIPPINE GFMD 2008 WORKING PAPER"),
            ("p", "8"),
            ("li", "ii", "ii) Deuxième message."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert _texts(els) == ["Premier message.", "Deuxième message."]
    assert all("Moldavie" not in e.text and "WORKING" not in e.text for e in els)
    assert els[1].page_start == 2


def test_item_running_across_pages():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels"),
            ("li", "i", "i) Un message qui commence sur une page\fet se termine sur la suivante."),
            ("li", "ii", "ii) Un autre."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert (els[0].page_start, els[0].page_end) == (1, 2)
    assert els[0].text.endswith("sur la suivante.")
    assert (els[1].page_start, els[1].page_end) == (2, 2)


def test_item_split_by_structure_is_rejoined_only_when_adjacent():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels"),
            ("li", "i", "i) Un message coupé"),
            ("page",),
            ("p", "par un saut de page."),
            ("li", "ii", "ii) Un message coupé par une note"),
            ("fn", 3, "Une note de bas de page."),
            ("p", "qui ne doit pas être absorbée."),
            ("li", "iii", "iii) Le dernier."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert " ".join(_texts(els)[0].split()) == "Un message coupé par un saut de page."
    assert els[0].page_end == 2
    assert _texts(els)[1] == "Un message coupé par une note"
    assert _texts(els)[2] == "Le dernier."


def test_list_ends_at_style_change_or_restart():
    doc = make_doc(
        [
            ("h", 1, "Questions pour orienter la discussion"),
            ("li", "1", "1. Première question ?"),
            ("li", "2", "2. Deuxième question ?"),
            ("p", "Sous-thème 3 : Mettre en œuvre les profils migratoires"),
            ("li", "a", "a) Profils migratoires, New York, 30 juin 2011"),
        ]
    )
    els = extract_elements(doc)
    assert _texts(els) == ["Première question ?", "Deuxième question ?"]
    doc = make_doc(
        [
            ("h", 1, "Recommendations"),
            ("li", "1", "1. First."),
            ("li", "2", "2. Second."),
            ("li", "1", "1. Another list starts here."),
        ]
    )
    assert _texts(extract_elements(doc)) == ["First.", "Second."]


def test_sub_points_after_a_colon_stay_in_their_item():
    doc = make_doc(
        [
            ("h", 1, "Recommendations"),
            ("li", "1", "1. Governments should:"),
            ("li", "a", "a) share data;"),
            ("li", "b", "b) evaluate policies."),
            ("li", "2", "2. Donors should fund pilots."),
        ],
        language="en",
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert len(els) == 2
    assert els[0].text.startswith("Governments should:") and els[0].text.endswith("policies.")
    assert els[1].label == "2" and els[1].ordinal == 2


def test_letter_i_after_h_is_a_letter():
    spec = [("h", 1, "Recommandations")]
    spec += [("li", c, f"{c}) Point {c} de la liste.") for c in "abcdefghij"]
    els = extract_elements(make_doc(spec))
    assert [e.label for e in els] == list("abcdefghij")


def test_paragraph_with_printed_label_counts_as_item():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels"),
            ("p", "i) Un message que la structure n'a pas reconnu comme élément de liste."),
            ("p", "ii) Un second message du même genre, lui aussi en paragraphe."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert [e.label for e in els] == ["i", "ii"]
    assert els[0].text.startswith("Un message")


# --- nested sections (GFMD 2008 background paper layout) -------------------------------


def _chapter4():
    return make_doc(
        [
            ("h", 1, "3. Enjeux"),
            ("p", "Un texte sur les enjeux."),
            ("h", 1, "4. QUESTIONS POUR ORIENTER LA DISCUSSION – MARCHES A SUIVRE POSSIBLES"),
            ("h", 2, "4.1 Questions"),
            ("p", "Les questions ci-après sont proposées pour orienter la discussion."),
            ("h", 3, "4.1.1 Assurer la cohérence"),
            ("li", "a", "a) Dans quelle mesure les PCR induisent-ils des changements ?"),
            ("li", "b", "b) Comment intégrer le développement ?"),
            ("h", 3, "4.1.2 Mise en œuvre effective des résultats"),
            ("li", "a", "a) Des liens entre ces forums pourraient-ils aider ?"),
            ("h", 2, "4.2 Marches à suivre possibles"),
            (
                "p",
                "Les « marches à suivre possibles » ci-après sont proposées à des fins d’examen.",
            ),
            ("h", 3, "4.2.1 Assurer la cohérence"),
            ("li", "a", "a) Un lien pourrait être établi entre le FMMD et les forums."),
            ("li", "b", "b) Les gouvernements pourraient faire des efforts renouvelés."),
            ("h", 3, "4.2.2 Mise en œuvre effective des résultats"),
            ("p", "Les gouvernements assurant une présidence pourraient convenir de poursuivre."),
            ("h", 3, "4.2.3 Évaluation de l’impact"),
            ("p", "Un processus régional pourrait décider d’entreprendre une évaluation."),
            ("fn", 15, "La Session 3.2 aura pour thème la cohérence."),
        ],
        title="Document de référence de la Table ronde 3.3 : processus et forums régionaux",
        original_file="002_x.txt",
        year=2008,
    )


def test_nested_subsections_belong_to_the_list_and_intros_are_skipped():
    doc = _chapter4()
    els = extract_elements(doc)
    _check_spans(doc, els)
    questions = [e for e in els if e.kind == "guiding_question"]
    recs = [e for e in els if e.kind == "recommendation"]
    assert [e.label for e in questions] == ["a", "b", "a"]
    assert {e.heading for e in questions} == {
        "4. QUESTIONS POUR ORIENTER LA DISCUSSION – MARCHES A SUIVRE POSSIBLES"
    }
    assert [e.ordinal for e in questions] == [1, 2, 3]
    assert questions[2].section[-1] == "4.1.2 Mise en œuvre effective des résultats"
    assert [e.text[:12] for e in recs] == [
        "Un lien pour",
        "Les gouverne",
        "Les gouverne",
        "Un processus",
    ]
    assert [e.label for e in recs] == ["a", "b", "", ""]
    assert {e.heading for e in recs} == {"4.2 Marches à suivre possibles"}
    assert all("ci-après" not in e.text for e in els)
    assert all("Session 3.2" not in e.text for e in els)


def test_meeting_falls_back_to_document_title():
    els = extract_elements(_chapter4())
    assert {e.meeting for e in els} == {"Table ronde 3.3 : processus et forums régionaux"}


# --- meetings -------------------------------------------------------------------------


def test_thematic_meeting_with_place_and_date_and_glued_footnote():
    doc = make_doc(
        [
            ("h", 1, "Sous-thème 2 : Évaluations des impacts"),
            (
                "h",
                2,
                "Réunion thématique : a) Gérer la migration en faveur du développement : "
                "élaboration des politiques, appréciation et évaluation, Marseille, France, "
                "14-15 juin 201114",
            ),
            ("h", 3, "Introduction"),
            ("p", "L’atelier de Marseille constituait une réponse concrète."),
            ("h", 3, "Messages essentiels de l’atelier de Marseille au Débat final du FMMD 2011"),
            (
                "li",
                "i",
                "i) Pour améliorer les résultats, il conviendrait de promouvoir une culture.",
            ),
            ("h", 3, "Questions pour orienter la discussion du Débat final"),
            ("li", "1", "1. Comment les gouvernements peuvent-ils développer une culture ?"),
        ]
    )
    els = extract_elements(doc)
    assert {e.meeting for e in els} == {"Réunion thématique — Marseille, France, 14-15 juin 2011"}


def test_flat_headings_take_the_preceding_meeting_of_the_same_level():
    doc = make_doc(
        [
            (
                "h",
                1,
                "Réunion thématique : Intégrer la migration\nChisinau, Moldavie, 12-13 octobre 20114",
            ),
            ("h", 1, "Introduction"),
            ("p", "Texte."),
            ("h", 1, "Messages essentiels de l’atelier de Chisinau au Débat final du FMMD 2011"),
            ("li", "i", "i) Un message."),
        ]
    )
    (el,) = extract_elements(doc)
    assert el.meeting == "Réunion thématique — Chisinau, Moldavie, 12-13 octobre 2011"


def test_meeting_list_introduced_by_a_plural_heading():
    doc = make_doc(
        [
            ("h", 2, "Réunions thématiques :"),
            (
                "li",
                "a",
                "a) Profils migratoires : développer des politiques, New York, États-Unis, 30 juin 2011 6",
            ),
            (
                "li",
                "b",
                "b) Profils migratoires : les leçons tirées, Batumi, Géorgie, 12-13 juillet 2011 7",
            ),
            (
                "li",
                "c",
                "c) Les profils migratoires en tant qu’instrument, Manille, Philippines, 20-21 octobre8",
            ),
            ("h", 3, "Introduction"),
            ("p", "Texte."),
            ("h", 3, "Messages essentiels sur les Profils migratoires au Débat final du FMMD 2011"),
            ("li", "i", "i) Les PM sont des instruments clés."),
        ]
    )
    (el,) = extract_elements(doc)
    assert el.meeting == (
        "Réunions thématiques — New York, États-Unis, 30 juin 2011; "
        "Batumi, Géorgie, 12-13 juillet 2011; Manille, Philippines, 20-21 octobre"
    )


def test_meeting_named_in_the_list_heading_when_no_meeting_heading():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels de l’atelier de Chisinau au Débat final du FMMD 2011"),
            ("li", "i", "i) Un message."),
        ]
    )
    (el,) = extract_elements(doc)
    assert el.meeting == "Atelier de Chisinau"


def test_meeting_does_not_leak_from_a_previous_chapter():
    doc = make_doc(
        [
            ("h", 1, "1. Chapitre un"),
            ("h", 2, "Table ronde 1.1 : Outils"),
            ("p", "Texte."),
            ("h", 1, "2. Chapitre deux"),
            ("h", 2, "Recommandations"),
            ("li", "1", "1. Une recommandation générale."),
        ],
        title="Rapport annuel",
    )
    (el,) = extract_elements(doc)
    assert el.meeting is None


def test_roundtable_without_colon_is_normalised():
    doc = make_doc(
        [
            (
                "h",
                2,
                "Table ronde 2.2 Favoriser l’impact des migrants de retour sur le développement",
            ),
            ("h", 3, "Questions directrices"),
            ("p", "Quels sont les défis auxquels les migrants de retour font face ?"),
        ]
    )
    (el,) = extract_elements(doc)
    assert (
        el.meeting
        == "Table ronde 2.2 : Favoriser l’impact des migrants de retour sur le développement"
    )


def test_missed_headings_as_short_paragraphs():
    doc = make_doc(
        [
            ("h", 1, "Roundtable 2.1: Beyond emergencies"),
            ("p", "Guiding questions"),
            ("p", "How can development actors help reduce disaster risk?"),
            ("p", "How can local authorities be supported?"),
            ("p", "Roundtable 2.2: Return migration"),
            ("p", "This paragraph belongs to another roundtable and is not a question."),
        ],
        language="en",
    )
    els = extract_elements(doc)
    assert [e.text[:10] for e in els] == ["How can de", "How can lo"]
    assert {e.meeting for e in els} == {"Roundtable 2.1: Beyond emergencies"}


def test_english_and_spanish_documents():
    en = make_doc(
        [
            ("h", 1, "Session 3.3: Regional processes"),
            ("h", 2, "Possible ways forward"),
            ("li", "a", "a) Link the GFMD with regional forums."),
        ],
        language=None,
    )
    es = make_doc(
        [
            ("h", 1, "Mesa redonda 1.2: Del programa mundial a la aplicación"),
            ("h", 2, "Preguntas orientadoras"),
            (
                "li",
                "•",
                "• ¿Qué medidas han adoptado los Estados miembros para aplicar los objetivos?",
            ),
        ],
        language=None,
    )
    (e1,) = extract_elements(en)
    (e2,) = extract_elements(es)
    assert (e1.kind, e1.meeting, e1.language) == (
        "recommendation",
        "Session 3.3: Regional processes",
        "en",
    )
    assert (e2.kind, e2.meeting, e2.language) == (
        "guiding_question",
        "Mesa redonda 1.2: Del programa mundial a la aplicación",
        "es",
    )


def test_pages_none_without_page_spans():
    doc = make_doc(
        [("h", 1, "Recommandations"), ("li", "1", "1. Une recommandation.")], paged=False
    )
    (el,) = extract_elements(doc)
    assert (el.page_start, el.page_end) == (None, None)


# --- structure-stage slips seen on real reports ----------------------------------------


def test_heading_taken_for_a_bullet_item_still_opens_the_list():
    doc = make_doc(
        [
            ("h", 2, "Table ronde 2.1 : Dépasser les urgences"),
            ("p", "Résultats attendus"),
            ("p", "La table ronde devrait déboucher sur des échanges."),
            ("li", "•", "Questions directrices"),
            ("li", "•", "Comment les acteurs du développement peuvent-ils contribuer ?"),
            ("li", "•", "Comment les autorités locales peuvent-elles être soutenues ?"),
        ]
    )
    els = extract_elements(doc)
    assert [e.text[:20] for e in els] == ["Comment les acteurs ", "Comment les autorité"]
    assert {e.heading for e in els} == {"Questions directrices"}


def test_item_cut_mid_sentence_is_rejoined_even_before_a_capital():
    doc = make_doc(
        [
            ("h", 1, "Messages essentiels"),
            ("p", "i) L’appropriation nationale des priorités devant figurer dans les"),
            ("p", "PM sont essentiels. La mise en œuvre des PM élargis est appréciée."),
            ("li", "ii", "ii) La coopération est essentielle."),
            ("p", "Une remarque finale qui n'est pas un message."),
        ]
    )
    els = extract_elements(doc)
    _check_spans(doc, els)
    assert len(els) == 2
    assert " ".join(els[0].text.split()).endswith(
        "dans les PM sont essentiels. La mise en œuvre des PM élargis est appréciée."
    )
    assert els[1].text == "La coopération est essentielle."


def test_merged_sub_meeting_heading_names_every_meeting():
    doc = make_doc(
        [
            ("h", 1, "Sous-thème 3 : Mettre en œuvre les profils migratoires"),
            ("h", 2, "Réunions thématiques :"),
            (
                "h",
                3,
                "a) Profils migratoires : développer des politiques, New York, États-Unis, 30 juin 2011"
                "\n\nb) Profils migratoires : les leçons tirées, Batumi, Géorgie, 12-13 juillet 2011 7"
                "\n\nc) Les profils migratoires en tant qu’instrument, Manille, Philippines, 20-21 octobre",
            ),
            ("h", 4, "Messages essentiels sur les Profils migratoires au Débat final du FMMD 2011"),
            ("li", "i", "i) Les PM sont des instruments clés."),
        ]
    )
    (el,) = extract_elements(doc)
    assert el.meeting == (
        "Réunions thématiques — New York, États-Unis, 30 juin 2011; "
        "Batumi, Géorgie, 12-13 juillet 2011; Manille, Philippines, 20-21 octobre"
    )


def test_meeting_title_run_into_its_place():
    doc = make_doc(
        [
            (
                "h",
                2,
                "Réunion thématique : b) La contribution des associations de migrants au "
                "développement Taroudant, Maroc, 19-22 septembre 2011",
            ),
            ("h", 3, "Messages essentiels de l’atelier de Taroudant au Débat final du FMMD 2011"),
            ("li", "i", "i) Les gouvernements devraient considérer la migration."),
        ]
    )
    (el,) = extract_elements(doc)
    assert el.meeting == "Réunion thématique — Taroudant, Maroc, 19-22 septembre 2011"
