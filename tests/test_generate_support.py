"""Calibration of the support check of generated sentences (assistant.generate.verify).

56 hand-written sentences about eight units of the bundled reports (key messages of the
GFMD 2011 Module III workshops, a guiding question of the 2017-2018 concept paper):
faithful paraphrases in French (the passages' language), English and Spanish, close and
free, and false statements on the same topics in the three languages. The thresholds of
``LLMSettings`` must keep faithful sentences and flag false ones; this test measures how
well they do and fails if a change of the check or of the defaults makes it worse.
"""

from __future__ import annotations

from typing import cast

import pytest

from assistant.generate import verify
from assistant.models import Hit
from gfmd.settings import LLMSettings
from ingest.models import Element, ElementKind, Passage

REPORT_2011 = (
    "Rapport de synthèse du Module III : Outils pour des politiques migratoires et de "
    "développement reposant sur des faits probants"
)
REPORT_2017 = (
    "Document de réflexion de la coprésidence germano-marocaine du FMMD 2017-2018 : Vers un "
    "contrat social mondial pour la migration et le développement"
)

# id -> (document title, year, meeting, element kind, element text as in the report)
UNITS = {
    "chis3": (
        REPORT_2011,
        2011,
        "Chisinau",
        "key_message",
        "L’intégration de la migration au développement est un processus complexe et à long terme et \n"
        "repose sur une forte appropriation de la part des gouvernements concernés.",
    ),
    "chis2": (
        REPORT_2011,
        2011,
        "Chisinau",
        "key_message",
        "Les gouvernements se trouvent à différents stades de définition de leurs concepts nationaux \n"
        "d'intégration. La poursuite de la sensibilisation, notamment grâce à la traduction du Manuel du \n"
        "GMG et un accroissement des échanges ainsi que des examens par des pairs entre les \n"
        "gouvernements aux expériences différentes sont nécessaires.",
    ),
    "mars1": (
        REPORT_2011,
        2011,
        "Marseille",
        "key_message",
        "Pour améliorer à long terme les résultats durables du développement humain et autre des politiques \n\n"
        "et programmes migratoires et de développement, il conviendrait de promouvoir une « culture de \n"
        "l'évaluation » avec les gouvernements et les autres acteurs.",
    ),
    "mars4": (
        REPORT_2011,
        2011,
        "Marseille",
        "key_message",
        "Les gouvernements manquent souvent d’expertise et des ressources nécessaires pour évaluer leurs \n"
        "politiques et programmes. Les organisations internationales et les experts peuvent contribuer à \n"
        "renforcer les capacités des gouvernements qui demandent une assistance.",
    ),
    "mars5": (
        REPORT_2011,
        2011,
        "Marseille",
        "key_message",
        "Les politiques migratoires et de développement sont internationales par nature. Les évaluations \n"
        "afférentes devraient par conséquent impliquer la coopération et le partage des connaissances des \n"
        "pratiques locales et régionales au niveau mondial. Il serait utile d’instituer un dépositaire central \n"
        "permettant l’accès et l’échange d’informations relatives aux évaluations de programmes et de \n"
        "politiques.",
    ),
    "tar1": (
        REPORT_2011,
        2011,
        "Taroudant",
        "key_message",
        "Les gouvernements d’accueil et d’origine devraient considérer la migration comme l'un des piliers \n\n"
        "de leurs politiques de développement et reconnaître que les associations de migrants peuvent jouer \n"
        "un rôle crucial dans ce contexte. Les gouvernements devraient également reconnaître que les \n"
        "associations de migrants ont des capacités et objectifs extrêmement divers et devraient réagir à \n"
        "cela en établissant des schémas de coopération flexibles.",
    ),
    "pm2": (
        REPORT_2011,
        2011,
        "New York",
        "key_message",
        "Le développement des PM nécessite une décision politique au niveau national et un soutien et une \n"
        "reconnaissance politique continue du processus par toutes les autorités concernées ainsi que \n"
        "l’identification du principal organe de coordination. Cela garantira également une appropriation \n"
        "étatique durable du processus.",
    ),
    "gq_urban": (
        REPORT_2017,
        2017,
        None,
        "guiding_question",
        "Comment les autorités locales et les sociétés d’accueil peuvent-elles être soutenues afin de \n"
        "pouvoir fournir des services publics de base, par exemple en matière de santé, d’éducation ou \n"
        "d’infrastructures ? Quelles sont les conditions nécessaires pour intégrer et inclure de fait les \n"
        "personnes déplacées dans le marché du travail ?",
    ),
}

# (unit, language of the sentence, faithful?, sentence)
CLOSE = [
    (
        "chis3",
        "fr",
        1,
        "L'intégration de la migration au développement est un processus complexe et à long terme qui repose sur une forte appropriation par les gouvernements concernés [1].",
    ),
    (
        "chis3",
        "en",
        1,
        "Mainstreaming migration into development is a complex, long-term process that relies on strong ownership by the governments concerned [1].",
    ),
    (
        "chis3",
        "es",
        1,
        "La integración de la migración en el desarrollo es un proceso complejo y a largo plazo que se basa en una fuerte apropiación por parte de los gobiernos [1].",
    ),
    (
        "chis3",
        "fr",
        0,
        "L'atelier a conclu que les donateurs doivent financer seuls les plans nationaux de réduction de la pauvreté [1].",
    ),
    (
        "chis3",
        "en",
        0,
        "The workshop concluded that donors alone should finance national poverty reduction plans [1].",
    ),
    (
        "chis3",
        "es",
        0,
        "El taller concluyó que los donantes deben financiar solos los planes nacionales de reducción de la pobreza [1].",
    ),
    (
        "chis2",
        "fr",
        1,
        "Les gouvernements en sont à différents stades de définition de leurs concepts nationaux d'intégration, et il faut poursuivre la sensibilisation, notamment par la traduction du Manuel du GMG [1].",
    ),
    (
        "chis2",
        "en",
        1,
        "Governments are at different stages of defining their national mainstreaming concepts, and continued awareness-raising, including through the translation of the GMG Handbook and more peer reviews, is needed [1].",
    ),
    (
        "chis2",
        "es",
        1,
        "Los gobiernos se encuentran en diferentes etapas de definición de sus conceptos nacionales de integración; se necesita más sensibilización, en particular mediante la traducción del Manual del GMG [1].",
    ),
    (
        "chis2",
        "fr",
        0,
        "Tous les gouvernements ont déjà adopté un concept national d'intégration et aucune traduction n'est nécessaire [1].",
    ),
    (
        "chis2",
        "en",
        0,
        "All governments have already adopted a national concept and no further translation or peer review is needed [1].",
    ),
    (
        "chis2",
        "es",
        0,
        "Todos los gobiernos ya adoptaron un concepto nacional y no hace falta ninguna traducción ni revisión entre pares [1].",
    ),
    (
        "mars1",
        "fr",
        1,
        "Il conviendrait de promouvoir une « culture de l'évaluation » avec les gouvernements et les autres acteurs pour améliorer les résultats durables des politiques migratoires [1].",
    ),
    (
        "mars1",
        "en",
        1,
        "A « culture of evaluation » should be promoted with governments and other actors to improve the sustainable results of migration and development policies and programmes [1].",
    ),
    (
        "mars1",
        "es",
        1,
        "Convendría promover una « cultura de la evaluación » con los gobiernos y otros actores para mejorar los resultados sostenibles de las políticas y programas migratorios [1].",
    ),
    (
        "mars1",
        "fr",
        0,
        "L'atelier de Marseille a recommandé de supprimer les évaluations, jugées trop coûteuses pour les pays d'origine [1].",
    ),
    (
        "mars1",
        "en",
        0,
        "The Marseille workshop recommended abolishing evaluations, which it found too costly for countries of origin [1].",
    ),
    (
        "mars1",
        "es",
        0,
        "El taller de Marsella recomendó suprimir las evaluaciones, consideradas demasiado costosas para los países de origen [1].",
    ),
    (
        "mars4",
        "fr",
        1,
        "Les gouvernements manquent souvent d'expertise et de ressources pour évaluer leurs politiques, et les organisations internationales peuvent renforcer leurs capacités [1].",
    ),
    (
        "mars4",
        "en",
        1,
        "Governments often lack the expertise and resources needed to evaluate their policies and programmes; international organisations and experts can help build the capacities of governments that request assistance [1].",
    ),
    (
        "mars4",
        "es",
        1,
        "Los gobiernos a menudo carecen de la experiencia y los recursos necesarios para evaluar sus políticas y programas; las organizaciones internacionales pueden reforzar sus capacidades [1].",
    ),
    (
        "mars4",
        "fr",
        0,
        "Les experts privés devraient remplacer les ministères dans la conduite de toutes les politiques migratoires [1].",
    ),
    (
        "mars4",
        "en",
        0,
        "Private consultants should replace ministries in running all migration policies [1].",
    ),
    (
        "mars4",
        "es",
        0,
        "Los consultores privados deberían sustituir a los ministerios en la gestión de todas las políticas migratorias [1].",
    ),
    (
        "mars5",
        "fr",
        1,
        "Il serait utile d'instituer un dépositaire central permettant l'échange d'informations sur les évaluations de programmes et de politiques [1].",
    ),
    (
        "mars5",
        "en",
        1,
        "It would be useful to set up a central repository giving access to and exchange of information on evaluations of programmes and policies [1].",
    ),
    (
        "mars5",
        "es",
        1,
        "Sería útil instituir un depositario central que permita el acceso y el intercambio de información sobre las evaluaciones de programas y políticas [1].",
    ),
    (
        "mars5",
        "fr",
        0,
        "Chaque pays devrait garder secrets les résultats de ses évaluations afin de protéger ses intérêts [1].",
    ),
    (
        "mars5",
        "en",
        0,
        "Each country should keep the results of its evaluations secret to protect its interests [1].",
    ),
    (
        "mars5",
        "es",
        0,
        "Cada país debería mantener en secreto los resultados de sus evaluaciones para proteger sus intereses [1].",
    ),
    (
        "tar1",
        "fr",
        1,
        "Les gouvernements d'accueil et d'origine devraient considérer la migration comme un pilier de leurs politiques de développement et reconnaître le rôle crucial des associations de migrants [1].",
    ),
    (
        "tar1",
        "en",
        1,
        "Host and origin governments should consider migration one of the pillars of their development policies and recognise that migrant associations can play a crucial role [1].",
    ),
    (
        "tar1",
        "es",
        1,
        "Los gobiernos de acogida y de origen deberían considerar la migración como uno de los pilares de sus políticas de desarrollo y reconocer el papel crucial de las asociaciones de migrantes [1].",
    ),
    (
        "tar1",
        "fr",
        0,
        "Les associations de migrants devraient être dissoutes car elles concurrencent les banques pour les transferts de fonds [1].",
    ),
    (
        "tar1",
        "en",
        0,
        "Migrant associations should be dissolved because they compete with banks for remittance transfers [1].",
    ),
    (
        "tar1",
        "es",
        0,
        "Las asociaciones de migrantes deberían disolverse porque compiten con los bancos por las remesas [1].",
    ),
    (
        "pm2",
        "fr",
        1,
        "Le développement des profils migratoires nécessite une décision politique au niveau national et l'identification du principal organe de coordination [1].",
    ),
    (
        "pm2",
        "en",
        1,
        "Developing migration profiles requires a political decision at national level, continued political support and the identification of the main coordinating body [1].",
    ),
    (
        "pm2",
        "es",
        1,
        "El desarrollo de los perfiles migratorios requiere una decisión política a nivel nacional y la identificación del principal órgano de coordinación [1].",
    ),
    (
        "pm2",
        "fr",
        0,
        "Les profils migratoires sont rédigés par la Banque mondiale sans participation des États [1].",
    ),
    (
        "pm2",
        "en",
        0,
        "Migration profiles are drafted by the World Bank without any involvement of States [1].",
    ),
    (
        "pm2",
        "es",
        0,
        "Los perfiles migratorios son redactados por el Banco Mundial sin participación de los Estados [1].",
    ),
    (
        "gq_urban",
        "fr",
        1,
        "Une question directrice demande comment les autorités locales et les sociétés d'accueil peuvent être soutenues pour fournir des services publics de base [1].",
    ),
    (
        "gq_urban",
        "en",
        1,
        "One guiding question asks how local authorities and host societies can be supported to provide basic public services such as health, education or infrastructure [1].",
    ),
    (
        "gq_urban",
        "es",
        1,
        "Una pregunta orientadora pregunta cómo se puede apoyar a las autoridades locales y a las sociedades de acogida para prestar servicios públicos básicos [1].",
    ),
    (
        "gq_urban",
        "fr",
        0,
        "Les questions directrices proposent d'interdire aux personnes déplacées l'accès au marché du travail [1].",
    ),
    (
        "gq_urban",
        "en",
        0,
        "The guiding questions propose banning displaced persons from the labour market [1].",
    ),
    (
        "gq_urban",
        "es",
        0,
        "Las preguntas orientadoras proponen prohibir a las personas desplazadas el acceso al mercado laboral [1].",
    ),
]

# faithful paraphrases in freer words
FREE = [
    (
        "chis3",
        "fr",
        1,
        "Selon l'atelier, intégrer la migration dans le développement prend du temps, c'est complexe, et les gouvernements doivent s'en approprier le processus [1].",
    ),
    (
        "chis3",
        "en",
        1,
        "According to the workshop, integrating migration into development takes time, is complex and needs governments to own the process [1].",
    ),
    (
        "mars4",
        "fr",
        1,
        "Faute d'experts et de moyens, les États évaluent mal leurs politiques ; les organisations internationales peuvent les aider s'ils le demandent [1].",
    ),
    (
        "mars4",
        "en",
        1,
        "Lacking expertise and resources, governments struggle to evaluate their policies, and international organisations can assist those who ask [1].",
    ),
    (
        "tar1",
        "fr",
        1,
        "Il est recommandé que les pays d'accueil et d'origine fassent de la migration un pilier du développement, en coopérant de façon flexible avec des associations de migrants très diverses [1].",
    ),
    (
        "tar1",
        "en",
        1,
        "Host and origin countries are urged to make migration a pillar of development and to cooperate flexibly with very diverse migrant associations [1].",
    ),
    (
        "mars5",
        "es",
        1,
        "Como las políticas migratorias son internacionales, sus evaluaciones deberían compartirse a nivel mundial, por ejemplo mediante un depositario central [1].",
    ),
    (
        "pm2",
        "es",
        1,
        "Para elaborar un perfil migratorio hace falta una decisión política nacional y designar el órgano coordinador principal [1].",
    ),
]

CASES = CLOSE + FREE


def unit_hit(unit: str) -> Hit:
    title, year, meeting, kind, text = UNITS[unit]
    passage = Passage(
        passage_id=f"p-{unit}",
        doc_id="doc",
        text=text,
        start=0,
        end=len(text),
        page_start=4,
        page_end=4,
        section=("Messages essentiels",),
        language="fr",
    )
    element = Element(
        element_id=f"e-{unit}",
        kind=cast(ElementKind, kind),
        text=text,
        label="",
        ordinal=1,
        heading="Messages essentiels" if kind == "key_message" else "Questions directrices",
        meeting=meeting,
        doc_id="doc",
        title=title,
        year=year,
        page_start=4,
        page_end=4,
        start=0,
        end=len(text),
        language="fr",
    )
    return Hit(rank=1, passage=passage, title=title, year=year, score=1.0, element=element)


def is_supported(unit: str, language: str, sentence: str, settings: LLMSettings) -> bool:
    checked = verify(
        sentence,
        (unit_hit(unit),),
        threshold=settings.support_threshold,
        cross_language_threshold=settings.cross_language_support_threshold,
        answer_language=language,
    )
    return not checked.unsupported


@pytest.mark.parametrize("same_language", [True, False], ids=["same-language", "cross-language"])
def test_default_thresholds_keep_faithful_sentences_and_flag_false_ones(
    same_language: bool,
) -> None:
    settings = LLMSettings()
    cases = [c for c in CASES if (c[1] == "fr") == same_language]
    kept = [is_supported(u, lang, s, settings) for u, lang, ok, s in cases if ok]
    passed_false = [s for u, lang, ok, s in cases if not ok and is_supported(u, lang, s, settings)]
    n_false = sum(1 for c in cases if not c[2])
    # measured (overlap shares): same-language faithful 0.55-1.0, kept 11/11; false
    # 0-0.38, plus a negation and a reversal at 0.67 that pass (2/8: beyond a lexical
    # check). Cross-language faithful 0.28-0.75, kept 20/21; false 0-0.29, 0/16 pass.
    assert sum(kept) / len(kept) >= 0.9
    assert len(passed_false) <= (2 if same_language else 0), passed_false
    assert n_false == (8 if same_language else 16)


def test_a_single_threshold_could_not_serve_both_cases() -> None:
    """Why two thresholds: the cross-language bar applied within a language lets false
    statements through, and the same-language bar across languages flags faithful ones."""
    lenient = LLMSettings(support_threshold=0.3, cross_language_support_threshold=0.3)
    strict = LLMSettings(support_threshold=0.5, cross_language_support_threshold=0.5)
    same_false = [c for c in CASES if c[1] == "fr" and not c[2]]
    cross_true = [c for c in CASES if c[1] != "fr" and c[2]]
    assert sum(is_supported(u, lang, s, lenient) for u, lang, _, s in same_false) >= 3
    assert sum(not is_supported(u, lang, s, strict) for u, lang, _, s in cross_true) >= 6
