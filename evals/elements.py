"""Score extracted elements against a gold file of key messages, questions, recommendations.

Gold shape (``evals/dev_elements.json``)::

    {"<kind>": {"<group>": ["<opening words of item 1>", "<opening words of item 2>", ...]}}

A group key such as ``"000 Chisinau"`` or ``"004 RT1.1"`` is ``"<prefix> <name>"``:

- ``prefix`` selects the document whose ``original_file`` (manifest) starts with it
  ("000" -> ``000_a01cc2eea4c39793.txt``);
- ``name`` selects, in that document, the elements of the kind whose meeting or list
  heading contains every token of the name, compared accent- and case-insensitively
  (:func:`group_matches`). A token made of a number with an optional roundtable/session
  prefix ("RT1.1", "1.1", "S3.3") is the roundtable or session number and must appear as
  a whole number ("1.1" matches "Table ronde 1.1", "Roundtable 1.1", "Mesa redonda 1.1",
  never "11.1" or "1.12"). A word token also matches a word that differs only in its
  last two letters when both share their first five (an exonym: "Manila" ~ "Manille").

An extracted element matches a gold item when its normalised text starts with the item's
normalised opening words (:func:`normalize_for_match`: accents removed, lower case, every
run of non-alphanumeric characters -> one space). Matching is one-to-one, in document order.

Precision of a group = extracted elements of the group that match a gold item / extracted
elements of the group; recall = gold items matched / gold items. Per kind, the counts are
summed over the kind's groups (an element in the scope of two groups counts once, matched
if it matched in either). Source of the rule: issue 4 ("Measured").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.manifest import load_manifest
from gfmd.settings import Settings, get_settings
from ingest.elements import fold, meeting_term_matches
from ingest.models import ELEMENT_KINDS, Element

_NUMBER_TOKEN = re.compile(
    r"(?i)^(?:rt|tr|mr|roundtable|round-table|session|sesion|s)?[-.]?(\d+(?:\.\d+)*)$"
)


class _PrecisionRecall:
    """Precision and recall from the match counts of a group or a kind."""

    n_gold: int
    n_gold_matched: int
    n_extracted: int
    n_extracted_matched: int

    @property
    def precision(self) -> float | None:
        """Matched / extracted, or ``None`` when nothing was extracted."""
        return _ratio(self.n_extracted_matched, self.n_extracted)

    @property
    def recall(self) -> float | None:
        """Matched gold items / gold items, or ``None`` when there is no gold item."""
        return _ratio(self.n_gold_matched, self.n_gold)


@dataclass(frozen=True)
class GroupScore(_PrecisionRecall):
    """The score of one gold group.

    Attributes:
        kind: element kind.
        group: the gold group key ("000 Chisinau").
        doc_ids: documents the prefix selected (empty if none: every count is then 0).
        n_gold, n_gold_matched: gold items, and those matched by an extracted element.
        n_extracted, n_extracted_matched: extracted elements in the group's scope, and
            those matching a gold item.
        missed: opening words of the gold items no element matched.
        unexpected: the first 80 characters of each extracted element matching no item.
    """

    kind: str
    group: str
    doc_ids: tuple[str, ...]
    n_gold: int
    n_gold_matched: int
    n_extracted: int
    n_extracted_matched: int
    missed: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The group as a JSON object (counts, precision, recall, missed, unexpected)."""
        return {
            "kind": self.kind,
            "group": self.group,
            "doc_ids": list(self.doc_ids),
            "n_gold": self.n_gold,
            "n_gold_matched": self.n_gold_matched,
            "n_extracted": self.n_extracted,
            "n_extracted_matched": self.n_extracted_matched,
            "precision": self.precision,
            "recall": self.recall,
            "missed": list(self.missed),
            "unexpected": list(self.unexpected),
        }


@dataclass(frozen=True)
class KindScore(_PrecisionRecall):
    """The score of one element kind over all its gold groups (counts as in GroupScore)."""

    kind: str
    n_gold: int
    n_gold_matched: int
    n_extracted: int
    n_extracted_matched: int
    groups: tuple[GroupScore, ...]

    def to_json(self) -> dict[str, Any]:
        """The kind as a JSON object, with its groups."""
        return {
            "kind": self.kind,
            "n_gold": self.n_gold,
            "n_gold_matched": self.n_gold_matched,
            "n_extracted": self.n_extracted,
            "n_extracted_matched": self.n_extracted_matched,
            "precision": self.precision,
            "recall": self.recall,
            "groups": [g.to_json() for g in self.groups],
        }


@dataclass(frozen=True)
class ElementScores:
    """Scores per kind, in the order of :data:`ingest.models.ELEMENT_KINDS` (kinds the gold
    file does not mention are left out)."""

    kinds: tuple[KindScore, ...]

    def for_kind(self, kind: str) -> KindScore | None:
        """The score of one kind, or ``None`` when the gold file has no group of it."""
        return next((k for k in self.kinds if k.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        """``{"kinds": [{kind, n_gold, …, precision, recall, groups: […]}]}``."""
        return {"kinds": [k.to_json() for k in self.kinds]}


def normalize_for_match(text: str) -> str:
    """Normalise a text for prefix matching: accents removed, lower case, each run of
    non-alphanumeric characters -> one space, stripped ("L’intégration…" -> "l integration")."""
    return re.sub(r"[\W_]+", " ", fold(text)).strip()


def load_original_files(manifest: Path) -> dict[str, str]:
    """Map doc id -> original file name from a manifest (see :mod:`corpus.manifest`).

    Raises:
        ConfigError: the manifest is not valid TOML or has malformed entries.
    """
    return {m.doc_id: m.original_file for m in load_manifest(manifest).values() if m.original_file}


def group_matches(name: str, meeting: str | None, heading: str) -> bool:
    """Whether every token of a group name is found in an element's meeting or heading.

    Args:
        name: the group name without its file prefix ("Chisinau", "RT1.1", "New York").
        meeting, heading: the element's fields.

    Returns:
        True when all tokens are found (rules in the module docstring and
        :func:`ingest.elements.meeting_term_matches`); False for an empty name.
    """
    hay = f"{meeting or ''} {heading}"
    tokens = name.split()
    if not tokens:
        return False
    for token in tokens:
        m = _NUMBER_TOKEN.match(token)
        if not meeting_term_matches(m.group(1) if m else token, hay):
            return False
    return True


def score_elements(
    elements: Sequence[Element],
    gold: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    original_files: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> ElementScores:
    """Score extracted elements against gold groups.

    Args:
        elements: every extracted element of the corpus (any order).
        gold: kind -> group key -> opening words of the items (see module docstring).
        original_files: doc id -> original file name; default: read from the manifest of
            ``settings`` (``settings.manifest``).
        settings: used only to find the manifest; default :func:`get_settings`.

    Returns:
        Scores per kind and per group.

    Raises:
        FileNotFoundError: no ``original_files`` given and the manifest does not exist.
    """
    if original_files is None:
        original_files = load_original_files((settings or get_settings()).manifest)
    ordered = sorted(elements, key=lambda e: (e.doc_id, e.start, e.end))
    kinds: list[KindScore] = []
    for kind in _kinds_in(gold):
        groups: list[GroupScore] = []
        in_scope: dict[str, bool] = {}  # element id -> matched in some group
        for group, openings in gold[kind].items():
            prefix, _, name = group.strip().partition(" ")
            doc_ids = tuple(
                sorted(d for d, f in original_files.items() if _file_has_prefix(f, prefix))
            )
            scope = [
                e
                for e in ordered
                if e.kind == kind
                and e.doc_id in doc_ids
                and group_matches(name, e.meeting, e.heading)
            ]
            matched_ids, missed = _match(scope, openings)
            for e in scope:
                in_scope[e.element_id] = in_scope.get(e.element_id, False) or (
                    e.element_id in matched_ids
                )
            groups.append(
                GroupScore(
                    kind=kind,
                    group=group,
                    doc_ids=doc_ids,
                    n_gold=len(openings),
                    n_gold_matched=len(openings) - len(missed),
                    n_extracted=len(scope),
                    n_extracted_matched=sum(e.element_id in matched_ids for e in scope),
                    missed=tuple(missed),
                    unexpected=tuple(
                        " ".join(e.text.split())[:80]
                        for e in scope
                        if e.element_id not in matched_ids
                    ),
                )
            )
        kinds.append(
            KindScore(
                kind=kind,
                n_gold=sum(g.n_gold for g in groups),
                n_gold_matched=sum(g.n_gold_matched for g in groups),
                n_extracted=len(in_scope),
                n_extracted_matched=sum(in_scope.values()),
                groups=tuple(groups),
            )
        )
    return ElementScores(kinds=tuple(kinds))


def format_table(scores: ElementScores, *, details: bool = False) -> str:
    """Render scores as a plain-text table: one row per kind, then one per group.

    Args:
        scores: from :func:`score_elements`.
        details: also list, under each group, the gold items missed ("- missed: …") and
            the extracted elements matching no gold item ("+ unexpected: …").

    Returns:
        The table, lines joined by newlines (no trailing newline).
    """
    header = f"{'kind':<18} {'group':<22} {'gold':>5} {'found':>6} {'extracted':>9} {'correct':>8} {'precision':>9} {'recall':>7}"
    lines = [header, "-" * len(header)]
    for k in scores.kinds:
        lines.append(_row(k.kind, "(all groups)", k))
        for g in k.groups:
            lines.append(_row("", g.group, g))
            if details:
                lines.extend(f"{'':<18}   - missed: {m}" for m in g.missed)
                lines.extend(f"{'':<18}   + unexpected: {u}" for u in g.unexpected)
    return "\n".join(lines)


def _row(kind: str, group: str, s: GroupScore | KindScore) -> str:
    return (
        f"{kind:<18} {group[:22]:<22} {s.n_gold:>5} {s.n_gold_matched:>6} "
        f"{s.n_extracted:>9} {s.n_extracted_matched:>8} {_fmt(s.precision):>9} {_fmt(s.recall):>7}"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _kinds_in(gold: Mapping[str, Any]) -> Iterable[str]:
    known = [k for k in ELEMENT_KINDS if k in gold]
    return known + sorted(k for k in gold if k not in ELEMENT_KINDS)


def _file_has_prefix(original_file: str, prefix: str) -> bool:
    """ "000_a01….txt" has prefix "000" (the prefix must end at a non-alphanumeric)."""
    if not prefix or not original_file.startswith(prefix):
        return False
    rest = original_file[len(prefix) :]
    return not rest or not rest[0].isalnum()


def _match(scope: Sequence[Element], openings: Sequence[str]) -> tuple[set[str], list[str]]:
    """One-to-one prefix matching in document order.

    Returns:
        (ids of the matched elements, opening words of the gold items left unmatched).
    """
    normalised = [(e.element_id, normalize_for_match(e.text)) for e in scope]
    used: set[str] = set()
    missed: list[str] = []
    for opening in openings:
        key = normalize_for_match(opening)
        hit = next(
            (eid for eid, text in normalised if eid not in used and key and text.startswith(key)),
            None,
        )
        if hit is None:
            missed.append(opening)
        else:
            used.add(hit)
    return used, missed
