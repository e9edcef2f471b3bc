"""Language identification of passages and documents (lingua, offline, no model download).

The detector is restricted to the languages GFMD reports are written in, which makes it
both faster and more accurate than an open-set detector: English, French, Spanish (the
Forum's working languages) plus Portuguese, German, Italian and Arabic.

Two detectors, each built once on first use: lingua's low-accuracy mode (trigram models
only: ~25-45 ms and ~25 MB to load) answers when it is sure (top confidence at least
:data:`LOW_ACCURACY_ACCEPT`); otherwise the high-accuracy detector (1- to 5-gram models:
~0.5-1.1 s and ~160 MB to load for the seven default languages) decides. Measured
2026-12-02 on the bundled corpus (401 passages and elements, 1,135 sentences) and the
dev + cross-language questions (73; en/fr/es): the combination agrees with the
high-accuracy detector on every text, and falls back to it on 1 unit, 2 sentences and 3
questions. Low-accuracy mode alone was wrong on a French sentence naming four Central
American countries (said Spanish, 0.69).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.text import fold

if TYPE_CHECKING:
    from lingua import LanguageDetector

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "pt", "de", "it", "ar")
"""ISO 639-1 codes the detector chooses among by default."""

MIN_LETTERS = 12
"""Texts with fewer letters than this are too short to identify (returns ``None``)."""

MIN_CONFIDENCE = 0.5
"""Lingua confidence (0..1) below which the answer is ``None`` rather than a guess."""

LOW_ACCURACY_ACCEPT = 0.9
"""Confidence (0..1) of the low-accuracy detector from which its answer is taken without
loading the high-accuracy models (measurements in the module docstring)."""

_WORD = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...], low_accuracy: bool = False) -> LanguageDetector:
    """The lingua detector for a set of ISO 639-1 codes, built once per (set, mode).

    lingua itself loads a language's n-gram models on the first text it scores, so the
    cost of loading is paid on first use, never at import.
    """
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in languages]
    if len(langs) == 1:  # lingua needs at least two candidates
        langs.append(Language.ENGLISH if langs[0] != Language.ENGLISH else Language.FRENCH)
    builder = LanguageDetectorBuilder.from_languages(*langs)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def detect_language(text: str, languages: Iterable[str] | None = None) -> str | None:
    """Identify the language of a text.

    Args:
        text: any text; only its first 2,000 characters are looked at (speed).
        languages: ISO 639-1 codes to choose among; default :data:`DEFAULT_LANGUAGES`.
            The detectors for each distinct set are built once and cached; the
            high-accuracy one only when the low-accuracy one is unsure (module docstring).

    Returns:
        A lowercase ISO 639-1 code (``"fr"``), or ``None`` when the text has fewer than
        :data:`MIN_LETTERS` letters in words of two or more letters, fewer than two such
        words, or the detector's confidence is below :data:`MIN_CONFIDENCE`.

    Raises:
        AttributeError: a code in ``languages`` is not an ISO 639-1 code lingua knows.
    """
    codes = _codes(languages)
    return _detect(text[:2000], codes)


def _codes(languages: Iterable[str] | None) -> tuple[str, ...]:
    """The detector key of a language set: lowercase codes, sorted, default
    :data:`DEFAULT_LANGUAGES`."""
    return tuple(sorted({c.lower() for c in (languages or DEFAULT_LANGUAGES)}))


@lru_cache(maxsize=1024)
def _detect(sample: str, codes: tuple[str, ...]) -> str | None:
    """:func:`detect_language` of a sample, memoised: a question is looked at by the
    answerer and by retrieval, an element by the element extractor and its passage by
    the chunker; each distinct text is scored once (at most 1,024 samples of at most
    2,000 characters are kept)."""
    words = _WORD.findall(sample)
    if len(words) < 2 or sum(len(w) for w in words) < MIN_LETTERS:
        return None
    values = _detector(codes, True).compute_language_confidence_values(sample)
    if (
        not values
        or values[0].value < LOW_ACCURACY_ACCEPT
        or _contradicted(values[0].language.iso_code_639_1.name.lower(), words)
    ):
        values = _detector(codes).compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    code = values[0].language.iso_code_639_1.name.lower()
    return code if code in codes else None


@lru_cache(maxsize=1)
def _exclusive_function_words() -> dict[str, frozenset[str]]:
    """Per language of :data:`corpus.analysis.STOPWORDS` (en, fr, es), its function
    words that are not function words of the others ("which", "les", "los")."""
    from corpus.analysis import STOPWORDS

    return {
        lang: words - frozenset().union(*(w for o, w in STOPWORDS.items() if o != lang))
        for lang, words in STOPWORDS.items()
    }


def _contradicted(code: str, words: Sequence[str]) -> bool:
    """Whether the function words of a text speak against ``code``: another language's
    exclusive function words (:func:`_exclusive_function_words`) outnumber ``code``'s.
    The low-accuracy detector is then not taken at its word: it said French at 0.985 for
    "Which key messages concern remittances?" (the high-accuracy one: English, 0.80);
    lingua's documentation warns that its low-accuracy mode is weak on short texts."""
    exclusive = _exclusive_function_words()
    folded = [fold(w) for w in words]
    counts = {lang: sum(w in ws for w in folded) for lang, ws in exclusive.items()}
    own = counts.get(code, 0)
    return any(n > own for lang, n in counts.items() if lang != code)


def warm_up(languages: Iterable[str] | None = None) -> None:
    """Build both detectors for ``languages`` and make them load their n-gram models
    (lingua loads a language's models on the first text it scores): about 1 s and
    160 MB for the default languages, paid once before a server's first request."""
    codes = _codes(languages)
    sample = "Les transferts de fonds des migrants et le développement"
    # The same calls as _detect (an lru_cache key differs for _detector(c) and
    # _detector(c, False)).
    _detector(codes, True).compute_language_confidence_values(sample)
    _detector(codes).compute_language_confidence_values(sample)
