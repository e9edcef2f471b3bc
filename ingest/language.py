"""Language identification of passages and documents (lingua, offline, no model download).

The detector is restricted to the languages GFMD reports are written in, which makes it
both faster and more accurate than an open-set detector: English, French, Spanish (the
Forum's working languages) plus Portuguese, German, Italian and Arabic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "pt", "de", "it", "ar")
"""ISO 639-1 codes the detector chooses among by default."""

MIN_LETTERS = 12
"""Texts with fewer letters than this are too short to identify (returns ``None``)."""

MIN_CONFIDENCE = 0.5
"""Lingua confidence (0..1) below which the answer is ``None`` rather than a guess."""

_WORD = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in languages]
    if len(langs) == 1:  # lingua needs at least two candidates
        langs.append(Language.ENGLISH if langs[0] != Language.ENGLISH else Language.FRENCH)
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect_language(text: str, languages: Iterable[str] | None = None) -> str | None:
    """Identify the language of a text.

    Args:
        text: any text; only its first 2,000 characters are looked at (speed).
        languages: ISO 639-1 codes to choose among; default :data:`DEFAULT_LANGUAGES`.
            The detector for each distinct set is built once and cached.

    Returns:
        A lowercase ISO 639-1 code (``"fr"``), or ``None`` when the text has fewer than
        :data:`MIN_LETTERS` letters in words of two or more letters, fewer than two such
        words, or the detector's confidence is below :data:`MIN_CONFIDENCE`.

    Raises:
        AttributeError: a code in ``languages`` is not an ISO 639-1 code lingua knows.
    """
    sample = text[:2000]
    words = _WORD.findall(sample)
    if len(words) < 2 or sum(len(w) for w in words) < MIN_LETTERS:
        return None
    codes = tuple(sorted({c.lower() for c in (languages or DEFAULT_LANGUAGES)}))
    detector = _detector(codes)
    values = detector.compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    code = values[0].language.iso_code_639_1.name.lower()
    return code if code in codes else None
