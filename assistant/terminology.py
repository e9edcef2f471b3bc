"""The GFMD terminology resource (``corpus/terminology.tsv``) and query expansion.

The file is tab-separated with the header ``concept, en, fr, es, source``; each
language column lists variants separated by `` | ``; lines starting with ``#`` are
comments. Users extend it by adding rows.

Expansion turns a question into the words a report in another language would use: every
variant of a concept found in the question (whole words, accent- and case-insensitive,
longest first) contributes that concept's variants in the target language; numbers,
acronyms and capitalised names (language-neutral tokens) are carried over as they are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus.analysis import fold
from gfmd.errors import ConfigError

LANGUAGES = ("en", "fr", "es")
_NEUTRAL = re.compile(r"\b(?:\d+(?:[.,]\d+)*[a-z]?|[A-Z][A-Z0-9/&-]{1,}|[A-ZÀ-Ý][\w'’-]+)\b")
_SENTENCE_START = re.compile(r"(?:^|[.?!¿¡:;]\s*)([A-ZÀ-Ý][\w'’-]*)")


@dataclass(frozen=True)
class Concept:
    """One row: a concept's variants per language and where the equivalence comes from."""

    concept: str
    variants: dict[str, tuple[str, ...]]
    source: str


class Terminology:
    """Concepts indexed by their folded variants."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts = list(concepts)
        # (folded variant, language, concept index), longest first so that
        # "guiding questions" wins over "questions".
        entries = [
            (fold(v), lang, i)
            for i, c in enumerate(self.concepts)
            for lang, vs in c.variants.items()
            for v in vs
            if v.strip()
        ]
        entries.sort(key=lambda e: -len(e[0]))
        self._entries = entries
        self._patterns = {
            v: re.compile(r"(?<!\w)" + re.escape(v) + r"(?!\w)") for v, _, _ in entries
        }

    def __len__(self) -> int:
        return len(self.concepts)

    def match_spans(
        self, text: str, *, exclude_language: str | None = None
    ) -> list[tuple[int, int, Concept]]:
        """Non-overlapping occurrences of concept variants in text, longest variant first.

        Args:
            text: any text (matched accent- and case-insensitively, whole words).
            exclude_language: ignore the variants of this language.

        Returns:
            (start, end, concept) triples in text order; offsets index ``fold(text)``,
            which has the same length as ``text`` for the Latin scripts of the reports.
        """
        folded = fold(text)
        taken: list[tuple[int, int, Concept]] = []
        for variant, lang, idx in self._entries:
            if lang == exclude_language:
                continue
            for m in self._patterns[variant].finditer(folded):
                start, end = m.span()
                if any(s < end and start < e for s, e, _ in taken):
                    continue
                taken.append((start, end, self.concepts[idx]))
        return sorted(taken, key=lambda t: t[0])

    def matches(self, text: str, *, exclude_language: str | None = None) -> list[Concept]:
        """Concepts whose variants (in any language but ``exclude_language``) occur in text,
        each once, in text order."""
        out: list[Concept] = []
        for _, _, concept in self.match_spans(text, exclude_language=exclude_language):
            if concept not in out:
                out.append(concept)
        return out

    def expand(self, query: str, source_language: str | None, target_language: str) -> str:
        """Rewrite a query into ``target_language`` terms for the lexical retriever.

        Args:
            query: the question as typed.
            source_language: its detected language (used only to skip target-language
                variants already in the query); None searches all languages.
            target_language: ISO 639-1 code of the documents to search.

        Returns:
            Space-joined target-language variants of the concepts found plus the query's
            language-neutral tokens; ``""`` when there is nothing to carry over.
        """
        del source_language
        terms: list[str] = []
        for concept in self.matches(query, exclude_language=target_language):
            terms.extend(concept.variants.get(target_language, ()))
        terms.extend(neutral_tokens(query))
        return " ".join(terms)


def neutral_token_spans(text: str) -> list[tuple[int, int, str]]:
    """Numbers ("2.2", "10.c", "2011"), acronyms ("GFMD", "ECOWAS") and capitalised names
    not at a sentence start ("Chisinau"), with their spans: tokens that read the same in
    every language. A possessive "'s" is dropped."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
    out = []
    for m in _NEUTRAL.finditer(text):
        token = m.group(0)
        if m.start() in starts and not token.isupper() and not token[0].isdigit():
            continue
        for suffix in ("'s", "’s"):
            token = token.removesuffix(suffix)
        out.append((m.start(), m.start() + len(token), token))
    return out


def neutral_tokens(text: str) -> list[str]:
    """The tokens of :func:`neutral_token_spans`, in order."""
    return [t for _, _, t in neutral_token_spans(text)]


def load_terminology(path: Path) -> Terminology:
    """Read the terminology TSV; a missing file gives an empty terminology.

    Raises:
        ConfigError: a row lacks the header's columns.
    """
    if not path.exists():
        return Terminology([])
    concepts = []
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if line.strip() and not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        for n, row in enumerate(reader, start=2):
            if not row.get("concept") or any(row.get(lang) is None for lang in LANGUAGES):
                raise ConfigError(f"{path}: row {n} lacks concept/en/fr/es columns")
            variants = {
                lang: tuple(v.strip() for v in row[lang].split("|") if v.strip())
                for lang in LANGUAGES
            }
            concepts.append(Concept(row["concept"], variants, row.get("source") or ""))
    return Terminology(concepts)
