"""Cleaning: PDF-extraction scars removed, text kept verbatim otherwise."""

from __future__ import annotations

from pathlib import Path

from ingest.clean import CleanText, clean_pages
from ingest.loaders import load_file
from ingest.models import RawDocument, RawPage


def _clean(text: str, fmt: str = "txt") -> CleanText:
    return clean_pages(RawDocument("mem." + fmt, (RawPage(None, text),), fmt, "0" * 64))  # type: ignore[arg-type]


def _paged(*pages: str) -> CleanText:
    raw = RawDocument(
        "mem.pdf", tuple(RawPage(i, t) for i, t in enumerate(pages, 1)), "pdf", "0" * 64
    )
    return clean_pages(raw)


def _segments(clean: CleanText) -> list[tuple[str, str]]:
    return [(s.kind, clean.text[s.start : s.end]) for s in clean.segments]


def test_hyphenated_word_joined_when_the_word_occurs_elsewhere():
    clean = _clean(
        "Le développement est central. Les politiques de dévelop-\npement sont utiles.\n"
    )
    assert "politiques de développement sont utiles" in clean.text
    assert "dévelop-" not in clean.text


def test_real_compounds_keep_their_hyphen():
    clean = _clean(
        "Les acteurs non-\nétatiques et la main-\nd’œuvre ceux-\nci, voir ci-\ndessous.\n"
        "Une réunion co-\nprésidée par deux pays; elle est co-présidée.\n"
    )
    assert "non-étatiques" in clean.text
    assert "main-d’œuvre" in clean.text
    assert "ceux-ci" in clean.text
    assert "ci-dessous" in clean.text
    assert "co-présidée par deux pays" in clean.text


def test_hyphen_before_capital_is_kept_without_space():
    clean = _clean("Le partenariat Afrique-\nUE est ancien.\n")
    assert "Afrique-UE est ancien" in clean.text


def test_soft_wrapped_lines_join_into_one_paragraph():
    clean = _clean(
        "Les discussions du FMMD depuis 2007 ont traité du problème de la cohérence\n"
        "politique et institutionnelle concernant la migration.\n\n"
        "Un second paragraphe commence ici.\n"
    )
    assert _segments(clean) == [
        (
            "paragraph",
            "Les discussions du FMMD depuis 2007 ont traité du problème de la cohérence "
            "politique et institutionnelle concernant la migration.",
        ),
        ("paragraph", "Un second paragraphe commence ici."),
    ]


def test_blank_line_inside_a_sentence_does_not_end_the_item():
    clean = _clean(
        "Messages essentiels\n"
        "i) Pour soutenir une approche reposant sur des faits probants et\n\n"
        "la question connexe de l’intégration, il faut tous les outils.\n\n"
        "ii) Les gouvernements se trouvent à différents stades.\n"
    )
    items = [t for k, t in _segments(clean) if k == "list_item"]
    assert items == [
        "i) Pour soutenir une approche reposant sur des faits probants et la question "
        "connexe de l’intégration, il faut tous les outils.",
        "ii) Les gouvernements se trouvent à différents stades.",
    ]


def test_blank_line_after_a_dangling_article_joins_even_before_a_capital():
    clean = _clean(
        "i) L’appropriation nationale des priorités devant figurer dans les\n\n"
        "PM sont essentiels.\n"
    )
    assert _segments(clean) == [
        (
            "list_item",
            "i) L’appropriation nationale des priorités devant figurer dans les "
            "PM sont essentiels.",
        )
    ]


def test_private_use_bullets_become_list_items_labelled_bullet():
    clean = _clean(
        "Questions directrices\n\n\uf0b7 Quels sont les intérêts ?\n\n\uf0a7 Comment agir ?\n"
        "\n\uf0d8\nUne question dont le glyphe est seul sur sa ligne ?\n"
    )
    items = [s for s in clean.segments if s.kind == "list_item"]
    assert [s.label for s in items] == ["•", "•", "•"]
    texts = [clean.text[s.start : s.end] for s in items]
    assert texts[0] == "• Quels sont les intérêts ?"
    assert texts[2] == "• Une question dont le glyphe est seul sur sa ligne ?"
    assert "\uf0b7" not in clean.text and "\uf0d8" not in clean.text


def test_markdown_markup_is_stripped(data_dir: Path):
    clean = clean_pages(load_file(data_dir / "report_short.md"))
    text = clean.text
    for mark in ("**", "##", "---", "*Membres*", "](", "- 1)"):
        assert mark not in text
    assert "les Membres ont manifesté" in text
    assert "voir le site." in text
    headings = [clean.text[s.start : s.end] for s in clean.segments if s.kind == "heading"]
    assert headings == [
        "COMITE DE TEST",
        "LE POINT SUR LE PARTENARIAT",
        "1. Objectifs",
        "2. Modalités",
    ]
    items = [
        (s.label, clean.text[s.start : s.end][:12]) for s in clean.segments if s.kind == "list_item"
    ]
    assert items[1:] == [
        ("1", "1) favoriser"),
        ("2", "2) agir au n"),
        ("•", "• Un comité "),
        ("•", "• Un secréta"),
    ]
    assert "réduire les effets adverses de l'inadéquation" in text


def test_unicode_normalisation_keeps_apostrophes_and_drops_nbsp():
    clean = _clean("Le FMMD\u00a0: l’intégration ; « co\u0302te »\u202f!  Fin.\n")
    assert clean.text == "Le FMMD : l’intégration ; « côte » ! Fin."


def test_running_header_before_lone_page_number_is_removed_and_sentence_rejoined():
    clean = _clean(
        "Une coopération renforcée en\n\n\n\nPHILIPPINE GFMD 2008 WORKING PAPER RT 3.3\n\n 8\n\n"
        "matière de migration a été proposée.\n\nTraduction\n\n3\n\nII. Suite du rapport\n"
    )
    assert "PHILIPPINE" not in clean.text and "Traduction" not in clean.text
    assert "Une coopération renforcée en matière de migration a été proposée." in clean.text
    assert clean.pages == ()  # a text without form feeds never gets page numbers


def test_lines_repeated_far_apart_are_running_headers():
    body = "\n\n".join(
        f"Paragraphe numéro {i} qui parle de migration et de développement durable."
        for i in range(30)
    )
    parts = body.split("\n\n")
    text = ""
    for i, part in enumerate(parts):
        text += part + "\n\n"
        if i % 9 == 8:
            text += "Rapport annuel du Forum\n\n"
    clean = _clean(text)
    assert "Rapport annuel du Forum" not in clean.text
    assert clean.removed_lines >= 3


def test_repeated_keyword_headings_are_not_headers():
    block = (
        "Questions directrices\n\n1. Comment faire mieux dans ce domaine précis ?\n\n"
        + "Texte. " * 40
        + "\n\n"
    )
    clean = _clean(block * 4)
    assert clean.text.count("Questions directrices") == 4


def test_footnotes_after_separator_move_to_the_end_with_marks_removed():
    clean = _clean(
        "Les profils migratoires sont utiles.3 Ces petites réunions ont offert une\n"
        "excellente opportunité, à New York le 30 juin 2011 4\n\n"
        "                                        \n"
        "3 Les rapports intégraux sont disponibles sur le\n"
        "site Web du FMMD.\n"
        "4 La réunion de New York s’est tenue dans le contexte\n"
        " d’une série de rencontres.\n"
    )
    body = clean.text[: clean.body_end]
    assert "utiles. Ces petites" in body
    assert "30 juin 2011" in body and "2011 4" not in body
    assert "Les rapports intégraux" not in body
    notes = [(f.number, clean.text[f.start : f.end]) for f in clean.footnotes]
    assert notes == [
        (3, "3 Les rapports intégraux sont disponibles sur le site Web du FMMD."),
        (4, "4 La réunion de New York s’est tenue dans le contexte"),
    ]
    # the indented line after the zone is the body resuming (next page): joined back
    assert "excellente opportunité, à New York le 30 juin 2011 d’une série de rencontres." in body
    assert all(f.referenced for f in clean.footnotes)


def test_year_glued_footnote_mark_is_split():
    clean = _clean(
        "Réunion thématique : Chisinau, Moldavie, 12-13 octobre 20114\n\nTexte du rapport.\n\n"
        "__________________\n\n4 Cette réunion était organisée par la Moldavie.\n"
    )
    assert "octobre 2011\n" in clean.text
    assert clean.footnotes[0].number == 4


def test_digits_that_are_not_footnote_marks_stay():
    clean = _clean(
        "La cible 10.7 appelle à faciliter la migration. Le G8 et 2 pays.\n\n"
        "__________________\n\n7 Une note.\n"
    )
    assert "La cible 10.7 appelle" in clean.text
    assert "Le G8 et 2 pays." in clean.text


def test_paged_document_spans_and_running_lines(data_dir: Path):
    clean = clean_pages(load_file(data_dir / "two_pages.pdf"))
    assert [p.number for p in clean.pages] == [1, 2]
    p1, p2 = clean.pages
    assert "Policy makers" in clean.text[p1.start : p1.end]
    assert "Key messages" in clean.text[p2.start : p2.end]
    assert "GFMD Test Report 2011" not in clean.text
    assert "Page 1" not in clean.text and "Page 2" not in clean.text
    assert "with evidence. Next steps" in clean.text
    assert "the development of evidence-based policies" in clean.text
    # the paragraph cut by the page break is one segment spanning both pages
    seg = next(s for s in clean.segments if "over the coming years" in clean.text[s.start : s.end])
    assert (seg.page_start, seg.page_end) == (1, 2)
    assert "since many countries lack" in clean.text[seg.start : seg.end]
    (note,) = clean.footnotes
    assert (
        clean.text[note.start : note.end]
        == "1 The workshop was hosted by the Government of Moldova."
    )
    assert (note.page_start, note.number) == (1, 1)
    assert note.start > clean.body_end


def test_paged_lone_page_numbers_removed_only_at_page_edges():
    filler = "".join(f"Ligne {w} du texte courant de la page.\n" for w in ("a", "b", "c", "d"))
    clean = _paged(
        "3\nTitre du rapport\n" + filler + "12\n" + filler,
        "Autre page.\n" + filler + "4\n",
    )
    assert "12" in clean.text
    assert clean.text.count("3") == 0 and "4" not in clean.text
