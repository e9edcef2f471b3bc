"""Ingest under faults (issue 11, items 1, 5 and 9): inputs that hung or crashed the
cleaner, size limits checked before reading, and text files that are not text.

Every test that runs the cleaner does so under an alarm (:func:`within`), so a
regression to a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import random
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from gfmd.errors import IngestError
from gfmd.settings import Settings, get_settings
from ingest import clean
from ingest.loaders import check_text, decode_text, load_file
from ingest.pipeline import ingest_file

ROOT = Path(__file__).resolve().parent.parent

HANGING_TEXT = (
    "Le rapport du Forum mondial.\n"
    "__________\n"
    "1 Voir le rapport de la session\n"
    "\n"
    "Le texte reprend ici avec une phrase.\n"
    "__________\n"
    " suite de la note sur la page\n"
    "\n"
    "Fin du document.\n"
)
"""Nine lines that hung ``_footnotes``: after the second separator, a lower-case line
follows an unfinished footnote (the "footnote continued" branch), but it is indented,
so it already resumes the body and the continuation loop never advanced."""

FRENCH = "Le Forum mondial sur la migration et le développement s’est réuni à Bruxelles.\n"


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail with TimeoutError if the block runs longer than ``seconds`` (SIGALRM)."""

    def _expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s (a cleaning loop hung?)")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _settings(**ingest: float) -> Settings:
    base = get_settings()
    return base.model_copy(update={"ingest": base.ingest.model_copy(update=ingest)})


# ------------------------------------------------------------------ item 1: the hang
def test_nine_line_file_that_hung_the_footnote_loop_ingests(tmp_path: Path) -> None:
    path = tmp_path / "hang.txt"
    path.write_text(HANGING_TEXT, encoding="utf-8")
    assert len(HANGING_TEXT.splitlines()) == 9
    with within(30):
        ingested = ingest_file(path)
    text = ingested.document.text
    assert "Le texte reprend ici avec une phrase." in text
    assert "suite de la note sur la page" in text
    assert "Fin du document." in text
    assert ingested.passages


def test_a_loop_past_its_bound_is_an_ingest_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.txt"
    path.write_text("Un paragraphe.\n\nUn autre paragraphe.\n", encoding="utf-8")
    monkeypatch.setattr(clean._Bound, "tick", _always_past_bound)
    with within(30), pytest.raises(IngestError) as info:
        ingest_file(path)
    assert info.value.path == str(path)
    assert "cleaning did not converge" in info.value.reason


def _always_past_bound(self: clean._Bound) -> None:
    raise clean._NoConvergence(self.stage)


def _render_pdf(source: Path, target: Path, lines_per_page: int = 50) -> None:
    """Render a text report to a PDF, line by line (leading spaces and space-only lines
    kept), ``lines_per_page`` lines a page."""
    fpdf = pytest.importorskip("fpdf")
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf = fpdf.FPDF(format="A4")
    pdf.set_auto_page_break(False)
    unicode_font = font.exists()
    if unicode_font:
        pdf.add_font("body", fname=str(font))
        pdf.set_font("body", size=7)
    else:  # a core font: Latin-1 only
        pdf.set_font("helvetica", size=7)

    def to_font(t: str) -> str:
        return t if unicode_font else t.encode("latin-1", "replace").decode("latin-1")

    lines = source.read_text(encoding="utf-8").split("\n")
    for k in range(0, len(lines), lines_per_page):
        pdf.add_page()
        for line in lines[k : k + lines_per_page]:
            pdf.cell(w=0, h=4.5, text=to_font(line), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(target))


def test_the_2008_roundtable_report_rendered_to_pdf_ingests_in_bounded_time(
    tmp_path: Path,
) -> None:
    source = ROOT / "corpus" / "reports" / "gfmd-2008-roundtable-3-3-background-fr.txt"
    pdf = tmp_path / "roundtable.pdf"
    _render_pdf(source, pdf)
    with within(120):
        ingested = ingest_file(pdf)
    assert ingested.document.page_count and ingested.document.page_count > 10
    assert len(ingested.passages) > 50
    assert "INTRODUCTION ET CADRE CONCEPTUEL" in ingested.document.text


# ------------------------------------------------- item 9: markdown merged lines
def test_markdown_paragraph_right_after_the_last_line_ingests(tmp_path: Path) -> None:
    source = ROOT / "corpus" / "reports" / "iom-scpf-13-2008-pimd-update-fr.md"
    path = tmp_path / source.name
    shutil.copy(source, path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\nDeuxième ajout.\n")
    with within(60):
        ingested = ingest_file(path)
    assert ingested.document.text.rstrip().endswith("Deuxième ajout.") or (
        "Deuxième ajout." in ingested.document.text
    )


def test_markdown_lines_are_renumbered_after_a_bold_run_is_merged() -> None:
    from ingest.models import RawDocument, RawPage

    text = "**Un titre\nsur deux lignes**\n\nUn paragraphe.\nDeuxième ligne.\n"
    raw = RawDocument(path="x.md", pages=(RawPage(None, text),), fmt="md", content_hash="0")
    lines = clean._markdown(clean._normalise(raw))
    assert [ln.idx for ln in lines] == list(range(len(lines)))
    with within(30):
        cleaned = clean.clean_pages(raw)
    assert "Un titre sur deux lignes" in cleaned.text


# ------------------------------------------------------------ item 5: size limit
def test_file_over_the_size_limit_is_rejected_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    path.write_text(FRENCH * 100, encoding="utf-8")  # ~8 KB
    settings = _settings(max_file_mb=0.001)  # 1,000 bytes

    def no_read(self: Path) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    with pytest.raises(IngestError) as info:
        ingest_file(path, settings=settings)
    assert info.value.path == str(path)
    assert info.value.reason.startswith("file too large (0.0 MB; at most 0.001 MB)")


def test_file_under_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "small.txt"
    path.write_text(FRENCH * 3, encoding="utf-8")
    assert load_file(path, settings=_settings(max_file_mb=0.01)).pages


# --------------------------------------------------------- item 5: text sanity
def _random_bytes(seed: int, n: int, low: int = 0) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(low, 256) for _ in range(n))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("random.txt", _random_bytes(1, 20_000), "not text ("),
        ("random-no-nul.txt", _random_bytes(2, 20_000, low=1), "not text ("),
        ("binary.md", b"# Titre\n\nDu texte\x00\x00 puis\x00 du binaire.\n", "not text (NUL"),
        ("digits.txt", b"12 345\n678 - 9\n", "not text (no letters)"),
        ("controls.txt", ("Texte\x01\x02\x03\x04\x05\x06\x07\x08" * 50).encode(), "not text (only"),
        ("bad-bom.txt", codecs.BOM_UTF8 + b"caf\xe9 au lait", "not text (invalid UTF-8"),
    ],
)
def test_text_file_that_is_not_text_is_rejected_with_its_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with within(30), pytest.raises(IngestError) as info:
        ingest_file(path)
    assert info.value.path == str(path)
    assert info.value.reason.startswith(reason), info.value.reason


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-16"),  # BOM + native order
        lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
        lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"),
        lambda s: s.encode("utf-32"),
        lambda s: codecs.BOM_UTF32_BE + s.encode("utf-32-be"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("utf-8"),
        lambda s: s.encode("cp1252"),
        lambda s: s.encode("utf-16-le"),  # no BOM: charset-normalizer finds it
    ],
    ids=[
        "utf16",
        "utf16be",
        "utf16le",
        "utf32",
        "utf32be",
        "utf8bom",
        "utf8",
        "cp1252",
        "utf16-nobom",
    ],
)
def test_text_encodings_decode_to_the_same_text(encode) -> None:
    text = FRENCH * 4
    assert decode_text(encode(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "Plain English with “quotes” – a dash.\n",
        "El Foro – año “niños”.\n",
        "Le Forum s’est réuni à Bruxelles.\n",
    ],
)
def test_short_cp1252_texts_are_not_taken_for_another_code_page(text: str) -> None:
    assert decode_text(text.encode("cp1252")) == text


def test_utf16_report_ingests_as_its_text(tmp_path: Path) -> None:
    path = tmp_path / "rapport.txt"
    path.write_bytes((FRENCH * 5).encode("utf-16"))
    with within(30):
        ingested = ingest_file(path)
    assert "s’est réuni à Bruxelles" in ingested.document.text
    assert ingested.passages[0].language == "fr"


def test_real_reports_pass_the_text_check() -> None:
    for path in sorted((ROOT / "corpus" / "reports").glob("*.[tm][xd]*")):
        assert check_text(decode_text(path.read_bytes())) is None, path.name


# ----------------------------------- one bad file never stops the others (CLI)
def test_cli_ingest_rejects_bad_files_and_adds_the_good_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from gfmd.cli import main

    monkeypatch.setenv("GFMD_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
    monkeypatch.setenv("GFMD_INGEST__MAX_FILE_MB", "0.05")  # 50 KB
    get_settings.cache_clear()
    try:
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "a-hang.txt").write_text(HANGING_TEXT, encoding="utf-8")
        (folder / "b-random.txt").write_bytes(_random_bytes(3, 20_000))
        (folder / "c-binary.md").write_bytes(b"# T\n\nx\x00y\n")
        (folder / "d-big.txt").write_text(FRENCH * 1000, encoding="utf-8")  # ~80 KB
        (folder / "e-good.txt").write_text(FRENCH * 5, encoding="utf-8")
        with within(120):
            code = main(["ingest", "--quiet", "--json", str(folder)])
        report = json.loads(capsys.readouterr().out)
    finally:
        get_settings.cache_clear()
    status = {Path(f["path"]).name: (f["status"], f["reason"]) for f in report["files"]}
    assert code == 0
    assert status["a-hang.txt"][0] == "added"
    assert status["e-good.txt"][0] == "added"
    assert status["b-random.txt"] == ("rejected", status["b-random.txt"][1])
    assert status["b-random.txt"][1].startswith("not text (")
    assert status["c-binary.md"][1].startswith("not text (NUL")
    assert status["d-big.txt"][1].startswith("file too large")
    assert report["documents"] == 2
