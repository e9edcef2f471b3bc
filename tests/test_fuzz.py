"""Bounded, seeded fuzzing of the two input edges (issue 11): files through
:func:`ingest.pipeline.ingest_file` and queries through :func:`assistant.retrieve.search`.

Each case must end in success or a typed :class:`gfmd.errors.GfmdError` — never another
exception, never an "internal error" rejection (a bug caught by ``ingest_file``'s
last-resort handler) or "did not converge" one (a cleaning loop at its bound), never a
hang (each case runs under an alarm of :data:`CASE_TIMEOUT_S`). Each test stops at its
time budget (the three add up to 60 s) and asserts it ran a minimum number of cases;
``pytest -s`` prints the counts. The cases are drawn from ``random.Random(1234)``, so a
failure names a case that reproduces.
"""

from __future__ import annotations

import codecs
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Filters
from assistant.retrieve import resources, search, validate
from gfmd.errors import GfmdError, IngestError
from gfmd.settings import Settings
from ingest.pipeline import INTERNAL_ERROR, ingest_file
from tests.test_ui import build_index

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = 1234
CASE_TIMEOUT_S = 20
"""A case still running after this long counts as a hang (seconds; generous because
the machine may be shared — a case normally takes well under one second)."""


class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` in a
    library (pypdf catches broadly) can swallow it and hide a hang."""


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def _run_cases(
    cases: Iterator[tuple[str, Callable[[], object]]],
    *,
    budget_s: float,
    classify: Callable[[object], str],
) -> tuple[Counter[str], list[str]]:
    """Run cases until they run out or the budget is spent.

    Returns:
        (counts per outcome, failure descriptions).
    """
    counts: Counter[str] = Counter()
    failures: list[str] = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    deadline = time.monotonic() + budget_s
    try:
        for name, run in cases:
            if time.monotonic() > deadline:
                counts["stopped at budget"] += 1
                break
            signal.alarm(CASE_TIMEOUT_S)
            try:
                outcome = classify(run())
            except CaseTimeout:
                outcome = "hang"
            except GfmdError as exc:
                outcome = classify(exc)
            except Exception as exc:  # the point of the test: report, don't crash
                outcome = f"uncaught {type(exc).__name__}: {exc}"[:200]
            finally:
                signal.alarm(0)
            counts["cases"] += 1
            if outcome in ("ok", "rejected"):
                counts[outcome] += 1
            else:
                counts["failed"] += 1
                failures.append(f"{name}: {outcome}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return counts, failures


# ------------------------------------------------------------------ mutations
def _flip(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 40)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _splice(rng: random.Random, data: bytes, other: bytes) -> bytes:
    a, b = rng.randrange(len(data)), rng.randrange(len(other))
    return data[:a] + other[b:]


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    return data[:at] + junk + data[at:]


def _duplicate(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 2000))
    at = rng.randrange(len(data))
    return data[:at] + data[a:b] * rng.randint(1, 5) + data[at:]


def _mutate_bytes(rng: random.Random, data: bytes, pool: list[bytes]) -> tuple[str, bytes]:
    op = rng.choice(["flip", "truncate", "splice", "insert", "duplicate", "flip+truncate"])
    if op == "flip":
        return op, _flip(rng, data)
    if op == "truncate":
        return op, _truncate(rng, data)
    if op == "splice":
        return op, _splice(rng, data, rng.choice(pool))
    if op == "insert":
        return op, _insert(rng, data)
    if op == "duplicate":
        return op, _duplicate(rng, data)
    return op, _truncate(rng, _flip(rng, data))


LINE_JUNK = [
    "__________",
    "                                                ",
    "1 Voir le rapport de la session",
    " suite de la note sur la page",
    "2 Voir aussi",
    "3",
    "- 4 -",
    "Page 5",
    "**Titre en gras",
    "sur deux lignes**",
    "# Titre",
    "## I. INTRODUCTION",
    "- un point",
    "• un autre point",
    "\uf0b7 puce",
    "a) premier",
    "(iii) troisième",
    "1. Premier point.",
    "Messages essentiels",
    "Recommandations :",
    "dévelop-",
    "pement durable.",
    "\f",
    "",
    "",
    "\u00ad",
    "A/63/265",
    "PHILIPPINE GFMD 2008 WORKING PAPER RT 3.3",
    "x" * 3000,
    "é" * 50,
    "\u202e\u200b\ufeff",
    "---",
    "`code`",
]


def _mutate_text(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 12)):
        op = rng.randrange(5)
        at = rng.randrange(len(lines) + 1)
        if op == 0:
            lines.insert(at, rng.choice(LINE_JUNK))
        elif op == 1 and lines:
            del lines[min(at, len(lines) - 1)]
        elif op == 2 and lines:
            k = min(at, len(lines) - 1)
            lines.insert(at, lines[k])
        elif op == 3 and lines:
            k = min(at, len(lines) - 1)
            lines[k] = " " * rng.randint(1, 3) + lines[k]
        else:
            rng.shuffle(lines) if rng.random() < 0.1 else None
    return "\n".join(lines)


def _encode(rng: random.Random, text: str) -> tuple[str, bytes]:
    how = rng.choice(["utf-8", "utf-8", "utf-8", "utf-8-bom", "utf-16", "cp1252", "nul", "cut"])
    if how == "utf-8-bom":
        return how, codecs.BOM_UTF8 + text.encode("utf-8")
    if how == "utf-16":
        return how, text.encode("utf-16")
    if how == "cp1252":
        return how, text.encode("cp1252", "replace")
    if how == "nul":
        data = text.encode("utf-8")
        at = rng.randrange(len(data) + 1)
        return how, data[:at] + b"\x00" + data[at:]
    data = text.encode("utf-8")
    return how, data[: rng.randrange(1, len(data) + 1)]  # may cut a multi-byte character


def _ingest_outcome(result: object) -> str:
    if isinstance(result, IngestError):
        if result.reason.startswith(INTERNAL_ERROR) or "did not converge" in result.reason:
            return f"bug: {result.reason}"  # a crash caught late, or a loop at its bound
        return "rejected"
    if isinstance(result, GfmdError):
        return "rejected"
    return "ok"


# ---------------------------------------------------------------------- files
def test_mutated_pdfs_are_ingested_or_rejected_never_crash_or_hang(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    pool = [p.read_bytes() for p in sorted(DATA.glob("*.pdf"))]
    assert pool

    def cases() -> Iterator[tuple[str, Callable[[], object]]]:
        for n in range(300):
            src = rng.randrange(len(pool))
            op, data = _mutate_bytes(rng, pool[src], pool)
            path = tmp_path / f"case{n % 4}.pdf"
            path.write_bytes(data or b"%")
            yield f"pdf case {n} ({op} of pool[{src}])", partial(ingest_file, path)

    counts, failures = _run_cases(cases(), budget_s=25, classify=_ingest_outcome)
    print(f"\nfuzz PDFs: {dict(counts)}")
    assert not failures, failures[:10]
    assert counts["cases"] >= 60, counts
    assert counts["ok"] and counts["rejected"], counts


def test_mutated_text_files_are_ingested_or_rejected_never_crash_or_hang(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    sources = [p for p in sorted(DATA.glob("*")) if p.suffix in (".txt", ".md")]
    sources += sorted((ROOT / "corpus" / "reports").glob("*.[tm][xd]*"))
    texts = []
    for p in sources:
        raw = p.read_bytes()
        try:
            t = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            t = raw.decode("cp1252")
        if t.strip():
            texts.append((p.suffix, t[:6000]))  # the start of each report: fast cases
    pool = [t.encode("utf-8") for _, t in texts]

    def cases() -> Iterator[tuple[str, Callable[[], object]]]:
        for n in range(300):
            src = rng.randrange(len(texts))
            suffix, text = texts[src]
            suffix = rng.choice([suffix, ".txt", ".md"])
            if rng.random() < 0.25:
                how, data = _mutate_bytes(rng, pool[src], pool)
            else:
                how, data = _encode(rng, _mutate_text(rng, text))
            path = tmp_path / f"case{n % 4}{suffix}"
            path.write_bytes(data)
            yield (
                f"text case {n} ({how}, {suffix}, source {src})",
                partial(ingest_file, path),
            )

    counts, failures = _run_cases(cases(), budget_s=25, classify=_ingest_outcome)
    print(f"\nfuzz text files: {dict(counts)}")
    assert not failures, failures[:10]
    assert counts["cases"] >= 60, counts
    assert counts["ok"] and counts["rejected"], counts


# -------------------------------------------------------------------- queries
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "éèàçñüöœÉÀ¿¡«»“”’—–…"
    " \t\n\r\x00\x07\x1b\x7f\u00a0\u200b\ufeff\u202e"
    "!?.,;:()[]{}<>\"'*#/\\|@$%^&+=~`"
    "😀🔥💯🙏漢字العربية"
    "\ud800\udcff\udfff"
)
WORDS = [
    "migration",
    "développement",
    "remesas",
    "diaspora",
    "poverty",
    "2011",
    "FMMD",
    "OR",
    "NOT",
]


def _random_query(rng: random.Random) -> object:
    r = rng.random()
    if r < 0.08:
        return rng.choice([None, 5, 3.14, True, [], ["migration"], {"q": "x"}, b"migration"])
    if r < 0.12:
        return rng.choice(WORDS) * rng.randint(200, 400)  # over the length limit
    if r < 0.45:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))


def _random_k(rng: random.Random) -> object:
    return rng.choice([None, None, 1, 3, 10, 100, 0, -1, 101, 10**9, "abc", "5", 2.5, 3.0, True])


def _pick(rng: random.Random, options: list[Any]) -> Any:
    return rng.choice(options)


def _random_filters(rng: random.Random) -> Filters:
    if rng.random() < 0.5:
        return Filters()
    return Filters(
        doc_ids=_pick(rng, [(), ("a",), ("b",), ("a", "b"), ("missing",), "ab", (5,)]),
        year_min=_pick(rng, [None, 2010, 2015, 1850, "abc", 2011.0, 2011.5]),
        year_max=_pick(rng, [None, 2012, 2020, 3000, "x"]),
        languages=_pick(rng, [(), ("fr",), ("en", "es"), ("xx",), "fr"]),
        kinds=_pick(rng, [(), ("key_message",), ("recommendation",), ("nope",)]),
        meeting=_pick(rng, [None, "Roundtable", "", "\ud800", 3]),
    )


def _query_outcome(result: object) -> str:
    if isinstance(result, GfmdError):
        return "rejected"
    return "ok"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("fuzz"))


def test_random_queries_are_answered_or_refused_never_crash(settings: Settings) -> None:
    rng = random.Random(SEED)
    res = resources(settings)

    def cases() -> Iterator[tuple[str, Callable[[], object]]]:
        for n in range(400):
            query, k, filters = _random_query(rng), _random_k(rng), _random_filters(rng)
            label = f"query case {n} ({query!r:.60}, k={k!r}, {filters})"
            if n % 2:
                yield label, partial(search, query, k=k, filters=filters, res=res)  # type: ignore[arg-type]
            else:
                yield label, partial(validate, query, filters, res.store, k=k)

    counts, failures = _run_cases(cases(), budget_s=10, classify=_query_outcome)
    print(f"\nfuzz queries: {dict(counts)}")
    assert not failures, failures[:10]
    assert counts["cases"] >= 100, counts
    assert counts["ok"] and counts["rejected"], counts
