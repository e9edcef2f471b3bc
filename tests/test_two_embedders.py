"""The second-embedder trial (``evals/two_embedders.py``) on two indexes of the committed
fixture report (hashing embedder, no model): its unit mapping and both modes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import assistant.retrieve as retrieve_module
from assistant.retrieve import resources, search
from evals.two_embedders import SecondEmbedder, patched, unit_keys
from gfmd.cli import main
from gfmd.settings import Settings, get_settings

QUESTION = "Quelle structure institutionnelle est nécessaire pour surveiller le processus ?"


@pytest.fixture
def two_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path, capsys
) -> tuple[Settings, Settings]:
    out = []
    for name in ("first", "second"):
        monkeypatch.setenv("GFMD_INDEX_DIR", str(tmp_path / name))
        monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
        get_settings.cache_clear()
        assert main(["ingest", "--quiet", str(data_dir / "report_short.txt")]) == 0
        out.append(get_settings())
    capsys.readouterr()
    get_settings.cache_clear()
    return out[0], out[1]


def test_units_map_one_to_one_by_passage_and_element_ids(two_indexes) -> None:
    first, second = (resources(s) for s in two_indexes)
    trial = SecondEmbedder(first, second)
    with first.store.reader() as r:
        keys = unit_keys(r)
        assert len(keys) == r.size > 3
    assert sorted(trial.to_primary.values()) == sorted(keys)
    assert len(set(trial.to_secondary.values())) == len(keys)


class Opposite:
    """A second "embedder" that ranks the stored vectors in the reverse order of the first:
    its query vector is the hashing embedder's, negated."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name

    def embed(self, texts, *, query: bool = False):
        return -self.inner.embed(texts, query=query)


def _trial(two_indexes) -> tuple[object, SecondEmbedder]:
    first, second = (resources(s) for s in two_indexes)
    return first, SecondEmbedder(first, replace(second, embedder=Opposite(second.embedder)))


def test_rerank_orders_the_candidates_by_the_second_embedders_cosine(two_indexes) -> None:
    first, trial = _trial(two_indexes)
    passages = ("passage",)  # no element inside a passage is dropped, none deferred
    plain = _uids(first, search(QUESTION, k=4, res=first, unit_types=passages))
    with patched(trial, "rerank", 1.0, candidates=100):
        hits = search(QUESTION, k=4, res=first, unit_types=passages)
    uids = _uids(first, hits)
    cos = trial.cosines(QUESTION, uids)
    assert len(uids) == 4
    assert uids == sorted(uids, key=lambda u: -cos[u])
    assert uids != plain
    assert retrieve_module.reciprocal_rank_fusion.__module__ == "assistant.retrieve"


def test_fuse_with_a_heavy_weight_puts_the_second_rankings_best_first(two_indexes) -> None:
    first, trial = _trial(two_indexes)
    best = trial.ranking(QUESTION, 10, None)[0]
    assert _uids(first, search(QUESTION, k=3, res=first))[0] != best
    with patched(trial, "fuse", 1000.0, candidates=20):
        hits = search(QUESTION, k=3, res=first)
    assert _uids(first, hits)[0] == best
    assert retrieve_module.lexical_rankings.__module__ == "assistant.retrieve"


def _uids(res, hits) -> list[int]:
    """The store's integer unit ids of the hits, in order."""
    with res.store.reader() as r:
        by_key = {key: uid for uid, key in unit_keys(r).items()}
    return [by_key[h.unit_id] for h in hits]
