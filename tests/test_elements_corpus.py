"""Element extraction on the five bundled reports, through the real ingest pipeline.

Golden counts were checked by reading every extracted list against the report text.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus.manifest import load_manifest
from evals.elements import load_original_files, score_elements
from ingest.elements import extract_elements

pipeline = pytest.importorskip("ingest.pipeline")
loaders = pytest.importorskip("ingest.loaders")

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "corpus" / "manifest.toml"

EXPECTED_COUNTS = {
    "gfmd2011-module3": {"key_message": 25, "guiding_question": 15},
    "gfmd2008-rt3.3": {"guiding_question": 8, "recommendation": 4},
    "gfmd2017-concept": {"guiding_question": 26},
    "iom-scpf13-2008": {},
    "unsg2008-migration-development": {},
}
"""Items per document and kind: 2011 has six workshops' key messages (4 + 9 + 6 + 6) and
guiding questions (4 + 4 + 4 + 3); the 2008 paper has chapter 4's questions (6 + 1 + 1)
and possible ways forward (2 + 1 + 1); the 2017 paper six roundtables' questions."""


@pytest.fixture(scope="module")
def documents():
    docs = []
    for file_name, meta in load_manifest(MANIFEST).items():
        raw = loaders.load_file(ROOT / "corpus" / "reports" / file_name)
        docs.append(pipeline.build_document(raw, meta))
    return docs


@pytest.fixture(scope="module")
def elements(documents):
    return {doc.doc_id: extract_elements(doc) for doc in documents}


def test_counts_per_document_and_kind(elements):
    counts = {doc_id: dict(Counter(e.kind for e in els)) for doc_id, els in elements.items()}
    assert counts == EXPECTED_COUNTS


def test_spans_ordinals_and_meetings(documents, elements):
    for doc in documents:
        footnotes = [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "footnote"]
        for e in elements[doc.doc_id]:
            assert doc.text[e.start : e.end] == e.text
            assert e.meeting, e
            assert not any(fn.strip() and fn.strip() in e.text for fn in footnotes)
        lists = Counter((e.heading, e.meeting) for e in elements[doc.doc_id])
        for (heading, meeting), n in lists.items():
            ordinals = [
                e.ordinal
                for e in elements[doc.doc_id]
                if (e.heading, e.meeting) == (heading, meeting)
            ]
            assert ordinals == list(range(1, n + 1))


def test_meetings_of_the_2011_and_2017_reports(elements):
    meetings_2011 = {e.meeting for e in elements["gfmd2011-module3"]}
    assert "Réunion thématique — Marseille, France, 14-15 juin 2011" in meetings_2011
    assert "Réunion thématique — Chisinau, Moldavie, 12-13 octobre 2011" in meetings_2011
    meetings_2017 = {e.meeting for e in elements["gfmd2017-concept"]}
    assert (
        "Table ronde 2.2 : Favoriser l’impact des migrants de retour sur le développement"
        in meetings_2017
    )
    assert len(meetings_2017) == 6


def test_dev_gold_precision_and_recall(elements):
    gold = json.loads((ROOT / "evals" / "dev_elements.json").read_text(encoding="utf-8"))
    flat = [e for els in elements.values() for e in els]
    scores = score_elements(flat, gold, original_files=load_original_files(MANIFEST))
    for kind in scores.kinds:
        assert kind.precision is not None and kind.precision >= 0.95, kind
        assert kind.recall is not None and kind.recall >= 0.95, kind
