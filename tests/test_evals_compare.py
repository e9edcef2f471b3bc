"""``gfmd eval --compare``: the questions a change moved and the exact McNemar test
(evals/compare.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.compare import compare_reports, format_comparison, load_report
from gfmd.errors import QueryError


def _row(qid: str, *, rank=1, cited=True, status="answered", kind="fact", split="test"):
    return {
        "id": qid, "lang": "en", "kind": kind, "q": f"question {qid}?", "split": split,
        "rank": rank, "cited_gold": cited, "status": status, "n_citations": 1,
    }  # fmt: skip


def test_gains_and_losses_are_paired_per_question_with_the_exact_mcnemar_p() -> None:
    before = [_row(f"a{i}", rank=7, cited=False) for i in range(5)]
    before += [_row("b", rank=2), _row("c", rank=3)]
    before += [_row("o", kind="out_of_corpus", rank=None, cited=None, status="answered")]
    after = [_row(f"a{i}", rank=1) for i in range(5)]
    after += [_row("b", rank=9, cited=False), _row("c", rank=3)]
    after += [_row("o", kind="out_of_corpus", rank=None, cited=None, status="not_found")]
    after += [_row("new")]
    cmp = compare_reports({"per_question": before}, {"per_question": after})
    block = cmp["splits"]["test"]
    assert block["recall@5"] == {"n": 7, "gained": 5, "lost": 1, "p_value": pytest.approx(0.21875)}
    assert block["gold_cited"]["gained"] == 5 and block["gold_cited"]["lost"] == 1
    # 5 gained, 0 lost: 2 * 0.5**5
    assert block["recall@1"] == {"n": 7, "gained": 5, "lost": 0, "p_value": pytest.approx(0.0625)}
    assert block["not_found_out_of_corpus"] == {"n": 1, "gained": 1, "lost": 0, "p_value": 1.0}
    assert block["answered"]["n"] == 7  # out-of-corpus rows are not answerable ones
    assert cmp["unpaired"] == {"before": 0, "after": 1}
    moved = {r["id"] for r in cmp["changed"]}
    assert moved == {"a0", "a1", "a2", "a3", "a4", "b", "o"}  # "c" did not move
    text = format_comparison(cmp, "old.json")
    assert "| test | recall@5 | 7 | 5 | 1 | 0.219 |" in text
    assert "test: b (en): rank 2 -> 9, cited_gold True -> False" in text


def test_the_same_question_in_two_splits_is_two_questions() -> None:
    before = [_row("q", split="tune"), _row("q", split="test", rank=8, cited=False)]
    after = [_row("q", split="tune"), _row("q", split="test")]
    cmp = compare_reports({"per_question": before}, {"per_question": after})
    assert cmp["splits"]["tune"]["recall@5"]["gained"] == 0
    assert cmp["splits"]["test"]["recall@5"]["gained"] == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\xff\xfe not text", "cannot read"), (b"{}", "not a `gfmd eval --json` report"),
     (b"[1, 2]", "not a `gfmd eval --json` report"), (b"{oops", "cannot read")],
)  # fmt: skip
def test_a_file_that_is_not_an_eval_report_is_refused_by_name(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content)
    with pytest.raises(QueryError, match=reason) as err:
        load_report(path)
    assert str(path) in str(err.value)
    with pytest.raises(QueryError, match="cannot read"):
        load_report(tmp_path / "missing.json")


def test_a_saved_report_loads_back(tmp_path: Path) -> None:
    report = {"per_question": [_row("a")], "groups": {}}
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(report), "utf-8")
    assert load_report(path) == report
