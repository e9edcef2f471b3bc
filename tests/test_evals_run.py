"""``gfmd eval`` over split sets and the LangChain baseline, on the committed fixture
report with the hashing embedder (no model)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import evals.run
from corpus.embeddings import HashingEmbedder
from evals.langchain_recipe import LangChainRecipe
from evals.run import BOOTSTRAP_RESAMPLES, confidence_intervals, format_report
from gfmd.cli import main
from gfmd.settings import get_settings


@pytest.fixture
def indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path, capsys
) -> Iterator[Path]:
    monkeypatch.setenv("GFMD_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
    get_settings.cache_clear()
    assert main(["ingest", "--quiet", str(data_dir / "report_short.txt")]) == 0
    capsys.readouterr()
    yield tmp_path
    get_settings.cache_clear()


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def split_files(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    gold = ["Une structure institutionnelle est nécessaire pour surveiller le processus"]
    tune = [
        {"id": "s-fr", "fact": "s", "lang": "fr", "kind": "fact", "gold": gold,
         "q": "Quelle structure institutionnelle est nécessaire pour surveiller le processus ?"},
        {"id": "o-fr", "fact": "o", "lang": "fr", "kind": "out_of_corpus", "gold": [],
         "q": "Quel était le budget du sommet de Stockholm ?"},
    ]  # fmt: skip
    test = [
        {"id": "p-en", "fact": "p", "lang": "en", "kind": "fact",
         "gold": ["Les Profils migratoires constituent des outils essentiels"],
         "q": "Les Profils migratoires constituent des outils essentiels ?"},
    ]  # fmt: skip
    files = {
        "tune": _write(indexed / "tune.jsonl", tune),
        "test": _write(indexed / "test.jsonl", test),
    }
    monkeypatch.setattr(evals.run, "SPLIT_FILES", files)
    return files


def test_eval_without_questions_runs_both_splits_side_by_side(split_files, capsys) -> None:
    assert main(["eval", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"questions", "embedding_model", "groups", "per_question", "seconds"} <= set(report)
    assert set(report["splits"]) == {"tune", "test"}
    tune, test = report["splits"]["tune"]["groups"], report["splits"]["test"]["groups"]
    assert set(tune) == {"fr", "all"} and set(test) == {"en", "all"}
    assert tune["all"]["n"] == 1 and tune["all"]["n_out_of_corpus"] == 1
    assert test["all"]["n"] == 1 and test["all"]["n_out_of_corpus"] == 0
    assert report["groups"]["all"]["n"] == 2  # pooled over both splits
    for m in (tune["all"], test["all"]):
        assert m["non_verbatim_quotes"] == 0
        assert {"citation_hit_rate", "citation_precision", "answered"} <= set(m)
    assert {r["split"] for r in report["per_question"]} == {"tune", "test"}
    assert "baseline" not in report

    assert main(["eval"]) == 0
    text = capsys.readouterr().out
    assert "cells: tune / test" in text
    assert "| all | 1 / 1 |" in text


def test_eval_one_split_and_baseline_rows(split_files, capsys) -> None:
    assert main(["eval", "--json", "--split", "tune", "--baseline"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "splits" not in report
    assert report["groups"]["all"]["n"] == 1
    base = report["baseline"]["fr"]
    assert base["n"] == 1
    assert {"recall@5", "mrr", "ratio_recall@5", "ratio_mrr"} <= set(base)
    assert base["recall@5"] == 1.0  # the fixture fits in a couple of 1000-char chunks


def test_eval_with_questions_keeps_the_pooled_shape(split_files, capsys) -> None:
    assert main(["eval", "--json", "--questions", str(split_files["test"])]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "splits" not in report and set(report["groups"]) == {"en", "all"}


def test_side_by_side_table_and_baseline_ratio_formatting() -> None:
    def groups(r5: float) -> dict:
        return {"all": {"n": 10, "recall@5": r5, "mrr": 0.5, "non_verbatim_quotes": 0}}

    def base(r5: float) -> dict:
        return {"all": {"n": 10, "recall@5": r5, "mrr": 0.25, "ratio_recall@5": 2.0,
                        "ratio_mrr": 2.0}}  # fmt: skip

    report = {
        "questions": "t, s",
        "embedding_model": "fake",
        "seconds": 1.0,
        "groups": groups(0.7),
        "per_question": [],
        "splits": {
            "tune": {"groups": groups(0.8), "baseline": base(0.4)},
            "test": {"groups": groups(0.6), "baseline": base(0.3)},
        },
    }
    text = format_report(report)
    assert "| all | 10 / 10 | - / - | 0.8 / 0.6 |" in text
    assert "| all | 10 / 10 | 0.4 / 0.3 | 0.25 / 0.25 | 2.0 / 2.0 | 2.0 / 2.0 |" in text


def test_recipe_splits_1000_200_and_finds_the_nearest_chunk() -> None:
    words = [f"mot{i:04d}" for i in range(600)]
    text = " ".join(words)  # ~4200 characters, no paragraph breaks
    recipe = LangChainRecipe({"d1": text, "d2": "Les transferts de fonds des migrants."},
                             HashingEmbedder())  # fmt: skip
    d1 = [c.text for c in recipe.chunks if c.doc_id == "d1"]
    assert len(d1) >= 5 and all(len(c) <= 1000 for c in d1)
    assert d1[0][-150:] in d1[1]  # consecutive chunks overlap
    assert all(c in text for c in d1)
    best = recipe.search("transferts de fonds des migrants", k=2)
    assert best[0].doc_id == "d2"
    assert len(recipe.search("x", k=50)) == len(recipe.chunks)


def _rows(ranks: list[int | None]) -> list[dict]:
    return [
        {"rank": r, "cited_gold": r == 1, "status": "answered" if r else "not_found"} for r in ranks
    ]


def test_bootstrap_intervals_bracket_the_estimate_and_narrow_with_more_questions() -> None:
    ranks = [1, 2, None, 7, 1, 3, None, 1, 6, 2]  # recall@5 0.6
    small = confidence_intervals(_rows(ranks), _rows([None, 1]))
    low, high = small["recall@5"]
    assert 0 <= low < 0.6 < high <= 1
    mrr = sum(1 / r for r in ranks if r) / len(ranks)
    assert small["mrr"][0] < mrr < small["mrr"][1]
    assert small["not_found_out_of_corpus"][0] < 0.5 < small["not_found_out_of_corpus"][1]
    assert confidence_intervals(_rows(ranks), _rows([None, 1])) == small  # seeded
    large = confidence_intervals(_rows(ranks * 10), [])
    assert large["recall@5"][1] - large["recall@5"][0] < (high - low) / 2
    assert large["not_found_out_of_corpus"] is None  # no questions, no interval
    assert confidence_intervals(_rows([1, 1, 1]), [])["recall@5"] == [1.0, 1.0]
    assert BOOTSTRAP_RESAMPLES >= 1000


def test_eval_reports_intervals_per_group(split_files, capsys) -> None:
    assert main(["eval", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for block in report["splits"].values():
        for metrics in block["groups"].values():
            assert set(metrics["ci95"]) == {
                "recall@5", "mrr", "citation_hit_rate", "answered", "not_found_out_of_corpus"
            }  # fmt: skip
    assert main(["eval"]) == 0
    assert "95% bootstrap intervals over questions (cells: tune / test)" in capsys.readouterr().out


def test_eval_compare_pairs_this_run_with_a_saved_report(split_files, tmp_path, capsys) -> None:
    assert main(["eval", "--json"]) == 0
    saved = tmp_path / "before.json"
    report = json.loads(capsys.readouterr().out)
    for row in report["per_question"]:  # pretend the saved run missed every question
        row.update(rank=None, cited_gold=False if row["cited_gold"] is not None else None)
    saved.write_text(json.dumps(report), "utf-8")
    assert main(["eval", "--json", "--compare", str(saved)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["compare"]["against"] == str(saved)
    answerable = [r for r in out["per_question"] if r["kind"] != "out_of_corpus"]
    gained = sum(b["recall@5"]["gained"] for b in out["compare"]["splits"].values())
    assert gained == sum(1 for r in answerable if r["rank"] and r["rank"] <= 5) > 0
    assert main(["eval", "--compare", str(saved)]) == 0
    assert "exact McNemar" in capsys.readouterr().out


def test_eval_compare_with_a_bad_file_fails_before_evaluating(split_files, tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("not json", "utf-8")
    assert main(["eval", "--compare", str(bad)]) != 0
    err = capsys.readouterr().err
    assert str(bad) in err and "cannot read an eval report" in err


def test_eval_groups_answerable_questions_by_the_report_holding_their_gold(
    indexed: Path, capsys
) -> None:
    gold = ["Une structure institutionnelle est nécessaire pour surveiller le processus"]
    path = _write(
        indexed / "docs.jsonl",
        [
            {"id": "a", "lang": "fr", "kind": "fact", "gold": gold, "doc_id": "report_short",
             "q": "Quelle structure institutionnelle est nécessaire pour surveiller le processus ?"},
            {"id": "b", "lang": "en", "kind": "fact", "gold": gold,
             "q": "Which institutional structure is needed to monitor the process?"},
            {"id": "o", "lang": "fr", "kind": "out_of_corpus", "gold": [], "doc_id": "x",
             "q": "Quel était le budget du sommet de Stockholm ?"},
        ],
    )  # fmt: skip
    assert main(["eval", "--json", "--questions", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["documents"]) == {"report_short"}  # no doc_id, or out of corpus: left out
    doc = report["documents"]["report_short"]
    assert doc["n"] == 1 and doc["recall@5"] == 1.0
    assert [r["doc_id"] for r in report["per_question"]] == ["report_short", None, "x"]
    assert main(["eval", "--questions", str(path)]) == 0
    assert "| report_short | 1 | 1.0 |" in capsys.readouterr().out
