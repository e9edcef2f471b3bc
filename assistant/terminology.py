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
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus.analysis import STOPWORDS, analyze
from corpus.text import fold
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


@dataclass(frozen=True)
class Expansion:
    """A question rewritten into another language's terms.

    Attributes:
        text: space-joined target-language variants of the concepts found, plus the
            question's language-neutral tokens outside those concepts.
        coverage: share (0-1) of the question's content words (analyzed in its own
            language) that fall inside a matched concept or are neutral tokens: how much
            of the question the expansion carries over.
    """

    text: str
    coverage: float


class Terminology:
    """Concepts indexed by their folded variants.

    Matching rules (the source of each: the Spanish-recall finding of the quality issue,
    where "las" matched the acronym LAS and "Who" the acronym WHO, pulling "Ligue des
    États arabes" and "Organisation mondiale de la Santé" into Spanish and English
    questions):

    - acronym variants (all capitals, e.g. "WHO", "LAS", "PM") match only as written,
      case-sensitively, on the original text;
    - a capitalised variant that folds to a stop word of English, French or Spanish
      matches only as written, like an acronym ("Estado", the State, is the Spanish stop
      word "estado", been); any other stop-word variant is never matched;
    - other variants match accent- and case-insensitively as whole words, the longest
      candidate first; matches do not overlap.
    """

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts = list(concepts)
        stop = frozenset().union(*STOPWORDS.values())
        folded: dict[str | None, dict[str, int]] = {}
        acronyms: dict[str | None, dict[str, int]] = {}
        for exclude in (None, *LANGUAGES):
            folded[exclude] = {}
            acronyms[exclude] = {}
            for i, c in enumerate(self.concepts):
                for lang, vs in c.variants.items():
                    if lang == exclude:
                        continue
                    for v in vs:
                        v = v.strip()
                        if not v:
                            continue
                        if _is_acronym(v) or (fold(v) in stop and v[:1].isupper()):
                            acronyms[exclude].setdefault(v, i)
                        elif fold(v) not in stop:
                            folded[exclude].setdefault(fold(v), i)
        self._folded = folded
        self._acronyms = acronyms
        self._patterns: dict[tuple[str | None, bool], re.Pattern[str] | None] = {}
        self._compiling = threading.Lock()

    def __len__(self) -> int:
        return len(self.concepts)

    def _pattern(self, exclude: str | None, acronym: bool) -> re.Pattern[str] | None:
        key = (exclude, acronym)
        if key in self._patterns:
            return self._patterns[key]
        with self._compiling:  # one thread compiles (40-70 ms each); the others wait
            if key not in self._patterns:
                table = (self._acronyms if acronym else self._folded).get(exclude, {})
                variants = sorted(table, key=lambda v: (-len(v), v))
                self._patterns[key] = (
                    re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, variants)) + r")(?!\w)")
                    if variants
                    else None
                )
        return self._patterns[key]

    def compile_patterns(self) -> None:
        """Compile the variant patterns of every language now instead of on first use
        (about 0.25 s for the shipped table): what a server does before its first request."""
        for exclude in (None, *LANGUAGES):
            for acronym in (False, True):
                self._pattern(exclude, acronym)

    def match_spans(
        self, text: str, *, exclude_language: str | None = None
    ) -> list[tuple[int, int, Concept]]:
        """Non-overlapping occurrences of concept variants in text, longest first.

        Args:
            text: any text (see the class docstring for how variants match).
            exclude_language: ignore the variants of this language.

        Returns:
            (start, end, concept) triples in text order; offsets index ``fold(text)``,
            which has the same length as ``text`` for the Latin scripts of the reports.
        """
        exclude = exclude_language if exclude_language in LANGUAGES else None
        folded = fold(text)
        found: list[tuple[int, int, int]] = []
        for acronym, hay in ((False, folded), (True, text)):
            pattern = self._pattern(exclude, acronym)
            if pattern is None:
                continue
            table = (self._acronyms if acronym else self._folded)[exclude]
            # Overlapping search: a shorter variant may start inside a longer match.
            pos = 0
            while (m := pattern.search(hay, pos)) is not None:
                found.append((m.start(), m.end(), table[m.group(0)]))
                pos = m.start() + 1
        found.sort(key=lambda t: (-(t[1] - t[0]), t[0]))
        taken: list[tuple[int, int, Concept]] = []
        for start, end, idx in found:
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

    def equivalents(self, term: str) -> tuple[str, ...]:
        """A term and its equivalents, folded: ``fold(term)`` first, then every variant (any
        language) of the concept one of whose variants folds to the whole term
        ("Batoumi" -> "batoumi", "batumi"); ``(fold(term),)`` when no concept has it.
        Only whole-term equality with a folded variant counts; acronym and stop-word
        variants, which match only as written (see the class docstring), are not
        looked up."""
        key = fold(term).strip()
        idx = self._folded[None].get(key)
        if idx is None:
            return (key,)
        variants = (fold(v).strip() for vs in self.concepts[idx].variants.values() for v in vs)
        return tuple(dict.fromkeys(v for v in (key, *variants) if v))

    def expansion(self, query: str, source_language: str | None, target_language: str) -> Expansion:
        """Rewrite a query into ``target_language`` terms for the lexical retriever.

        Args:
            query: the question as typed.
            source_language: its detected language: the language its content words are
                analyzed in for :attr:`Expansion.coverage` (None: all stop words removed).
            target_language: ISO 639-1 code of the documents to search.

        Returns:
            The expansion; its text is ``""`` when there is nothing to carry over.
        """
        spans = self.match_spans(query, exclude_language=target_language)
        terms: list[str] = []
        seen: list[Concept] = []
        for _, _, concept in spans:
            if concept not in seen:
                seen.append(concept)
                terms.extend(concept.variants.get(target_language, ()))
        neutral = [
            (s, e, t)
            for s, e, t in neutral_token_spans(query)
            if not any(cs <= s and e <= ce for cs, ce, _ in spans)
        ]
        terms.extend(t for _, _, t in neutral)
        covered = [(s, e) for s, e, _ in spans] + [(s, e) for s, e, _ in neutral]
        words = [m for m in re.finditer(r"[^\W_]+", query) if analyze(m.group(0), source_language)]
        inside = sum(1 for m in words if any(s <= m.start() < e for s, e in covered))
        coverage = inside / len(words) if words else 0.0
        return Expansion(" ".join(terms), coverage)

    def expand(self, query: str, source_language: str | None, target_language: str) -> str:
        """The text of :meth:`expansion` (kept for callers that need no coverage)."""
        return self.expansion(query, source_language, target_language).text


def _is_acronym(variant: str) -> bool:
    """All-capital variants ("WHO", "LAS", "PM", "UE"): matched case-sensitively."""
    letters = [c for c in variant if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and " " not in variant


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
