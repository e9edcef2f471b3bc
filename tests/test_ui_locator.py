"""The paragraph locator (issue 12 item 6): UN/GFMD paragraph numbers read at ingest and
shown beside pages on every citation."""

from __future__ import annotations

from pathlib import Path

from assistant.models import locator_label
from gfmd.settings import PROJECT_ROOT, get_settings
from ingest.models import Block
from ingest.structure import paragraph_numbers, paragraph_range


def _doc(parts: list[tuple[str, str, tuple[str, ...]]]) -> tuple[str, tuple[Block, ...]]:
    text, blocks = "", []
    for kind, body, section in parts:
        start = len(text)
        text += body + "\n\n"
        blocks.append(Block(kind, start, start + len(body), section))  # type: ignore[arg-type]
    return text, tuple(blocks)


def _numbered(n: int, section: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    return ("list_item", f"{n}. Paragraphe numéro {n} du rapport, assez long.", section)


def test_a_run_of_numbered_paragraphs_across_sections_is_the_numbering() -> None:
    a: tuple[str, ...] = ("I. Introduction",)
    b: tuple[str, ...] = ("II. Le Forum",)
    parts: list[tuple[str, str, tuple[str, ...]]] = [("heading", "I. Introduction", a)]
    parts += [_numbered(n, a) for n in range(1, 6)]
    parts += [("heading", "II. Le Forum", b), _numbered(6, b)]
    parts += [("paragraph", "Suite du paragraphe 6 sans numéro.", b)]
    parts += [_numbered(n, b) for n in range(7, 11)]
    text, blocks = _doc(parts)
    numbers = paragraph_numbers(text, blocks)
    assert [p.number for p in numbers] == list(range(1, 11))
    six = next(p for p in numbers if p.number == 6)
    assert text[six.start : six.end].endswith("Suite du paragraphe 6 sans numéro.")
    assert paragraph_range(numbers, six.start, six.end + 5) == (6, 7)
    assert paragraph_range(numbers, 0, 5) == (None, None)  # the heading


def test_lists_and_section_numbers_are_not_paragraph_numbers() -> None:
    s1: tuple[str, ...] = ("Messages essentiels",)
    s2: tuple[str, ...] = ("Questions directrices",)
    parts: list[tuple[str, str, tuple[str, ...]]] = [
        ("heading", "2.1 Les profils migratoires", ("2.1",))
    ]
    parts += [_numbered(n, s1) for n in range(1, 6)]
    parts += [_numbered(n, s2) for n in range(1, 6)]  # restarts at 1: two lists
    parts += [("list_item", f"{n}) Élément de liste {n}.", s2) for n in range(6, 15)]
    parts += [_numbered(n, s1) for n in range(1, 10)]  # one long list in one section
    text, blocks = _doc(parts)
    assert paragraph_numbers(text, blocks) == ()


def test_locator_labels() -> None:
    assert locator_label(4, 4) == "p. 4"
    assert locator_label(4, 5) == "pp. 4-5"
    assert locator_label(None, None, 12, 12) == "para. 12"
    assert locator_label(None, None, 12, 13) == "paras. 12-13"
    assert locator_label(4, 4, 12, 12) == "p. 4, para. 12"
    assert locator_label(None, None) == ""


def test_bundled_un_report_passages_carry_its_paragraph_numbers() -> None:
    from ingest.pipeline import ingest_file

    report = Path(PROJECT_ROOT) / "corpus/reports/un-sg-2008-migration-development-report-fr.txt"
    ingested = ingest_file(report, settings=get_settings())
    numbered = [p for p in ingested.passages if p.paragraph_start is not None]
    assert len(numbered) > len(ingested.passages) * 0.8
    twelve = next(p for p in ingested.passages if "12. La première réunion" in p.text)
    assert twelve.paragraph_start is not None and twelve.paragraph_start <= 12
    assert twelve.paragraph_end is not None and twelve.paragraph_end >= 12
    starts = [p.paragraph_start or 0 for p in numbered if p.kind == "body"]
    assert starts == sorted(starts)
    footnotes = [p for p in ingested.passages if p.kind == "footnote"]
    assert all(p.paragraph_start is None for p in footnotes)


def test_source_card_shows_the_quote_paragraph_and_groups_one_list(tmp_path) -> None:
    """A card's locator is the quote's own paragraph; cards of one list share a header."""
    from dataclasses import replace

    from assistant.models import Answer, Citation
    from assistant.retrieve import resources, search
    from tests.test_ui import build_index
    from ui import render

    settings = build_index(tmp_path)
    res = resources(settings)
    hit = search("profils regroupent données", res=res)[0]
    numbered = replace(hit, passage=replace(hit.passage, paragraph_start=3, paragraph_end=4))
    card = render.card_html(
        render.Card("src-0-1", 1, numbered, "regroupent les données"), res.store
    )
    assert "paras. 3-4" in card  # the test document has no numbering of its own: the unit's
    plain = render.card_html(render.Card("src-0-1", 1, hit, None), res.store)
    assert "no page numbers in this source" in plain
    answer = Answer(
        "q",
        "answered",
        "[1] [2]",
        (Citation(1, hit, hit.text[:10]), Citation(2, hit, hit.text[:12])),
    )
    panel = render.turn_sources_html(0, "q", answer, (), res.store)
    assert panel.count('class="group-head"') == 1 and "2 items" in panel
