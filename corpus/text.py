"""Text normalisation shared by every stage: folding for matching, sentence spans, and
the detector of text addressed to a language model (prompt injection).

One module so that ingest (elements, chunking), the store (the folded document text),
retrieval (terminology matching, lexical analysis) and the answerers (quotes, support
checks) compare text the same way.

- :func:`fold` keeps offsets: one output character per input character for the Latin
  scripts of the reports, so a match in ``fold(text)`` indexes ``text``.
- :func:`fold_words` is for comparing phrases (headings, meeting names, content words):
  ligatures expanded (œ -> oe), whitespace runs collapsed; offsets are not kept.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u02bc\u0060\u00b4\u2032"), "'")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_LIGATURES = {ord("œ"): "oe", ord("æ"): "ae"}


def fold(text: str) -> str:
    """Lower-case, strip accents (NFKD, combining marks removed), one kind of apostrophe
    and of dash.

    Args:
        text: any text.

    Returns:
        The folded text, the same length as ``text`` for precomposed Latin letters
        ("Développement" -> "developpement", "l’atelier" -> "l'atelier").
    """
    text = text.lower().translate(_APOSTROPHES).translate(_DASHES)
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed
    if max(decomposed) <= "\uffff":
        return decomposed.translate(_combining_bmp())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _combining_bmp() -> dict[int, None]:
    """``str.translate`` table deleting every combining mark of the Basic Multilingual
    Plane (built once, ~10 ms): the same as testing ``unicodedata.combining`` per
    character, in C."""
    return {i: None for i in range(0x10000) if unicodedata.combining(chr(i))}


def fold_words(text: str) -> str:
    """:func:`fold`, then ligatures expanded (œ -> oe, æ -> ae) and every whitespace run
    made one space, stripped: the key for comparing phrases ("Marches à  SUIVRE" ->
    "marches a suivre"). Offsets are not kept."""
    return normalize_space(fold(text).translate(_LIGATURES))


def normalize_space(text: str) -> str:
    """Collapse every whitespace run to one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------------------
# sentences

CITATION_MARKER = re.compile(
    r"\[\s*(?:(?i:passages?|sources?)\s*)?"
    r"(\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*(?:(?i:passages?|sources?)\s*)?\d+(?:\s*[-–]\s*\d+)?)*)\s*\]"
)
"""A citation marker: ``[1]``, ``[1, 3]``, ``[2-4]``, also ``[Passage 1]`` / ``[source 2]``."""

_CLOSERS = "\"'»”’)]"
_ABBREVIATIONS = frozenset(
    [
        "p",
        "pp",
        "no",
        "nos",
        "art",
        "para",
        "paras",
        "cf",
        "vol",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "mme",
        "mlle",
        "sr",
        "sra",
        "dra",
        "ibid",
        "op",
        "ed",
        "eds",
    ]
)
_LIST_LABEL_RE = re.compile(r"^\s*\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,5})$", re.I)


def sentence_spans(text: str, *, line_breaks: bool) -> list[tuple[int, int]]:
    """Split ``text`` into sentences.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes and any
    following citation markers) before whitespace and a character that is not a
    lowercase letter, unless the word before the period is an abbreviation ("p.", "e.g.")
    or a single letter, or what precedes it is a list label ("1.", "iv."). With
    ``line_breaks`` (model output) every line break ends a sentence, so list items count
    separately; without (cleaned report text, where blocks are separated by blank lines)
    only blank lines do, and not when the next line starts in lowercase (a page or
    column break inside a sentence).

    Args:
        text: the text to split.
        line_breaks: whether a single newline ends a sentence.

    Returns:
        ``(start, end)`` spans into ``text``, whitespace-trimmed, non-empty, in order.
    """
    breaks = r"\n" if line_breaks else r"\n[ \t]*\n"
    boundary = re.compile(
        rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?:\s*{CITATION_MARKER.pattern})*(?=\s|$)|{breaks}"
    )
    spans: list[tuple[int, int]] = []
    start = 0
    for match in boundary.finditer(text):
        end = match.end()
        rest = text[end:].lstrip()
        if match.group(0).startswith("\n"):
            if not line_breaks and rest[:1].islower():
                continue  # a blank line inside a sentence (PDF extraction scar)
        else:
            if rest and rest[0].islower():
                continue
            if _LIST_LABEL_RE.match(text[start : match.start()]):
                continue  # "1. « … »", "iv. …": a list label, not a sentence
            before = re.search(r"(\w+)$", text[start : match.start()])
            word = before.group(1).lower() if before else ""
            abbreviation = word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
            if rest and match.group(0).startswith(".") and abbreviation:
                continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


# --------------------------------------------------------------------------------------
# text addressed to a language model

_INSTRUCTION_RE = re.compile(
    r"\b(?:ignore[rz]?|ignora[rn]?|ignoren|disregard|forget|oublie[rz]?|olvida[rn]?|olvide)\b"
    r"(?:\W+\w+){0,4}?\W+(?:instructions?|consignes?|instrucciones|prompts?)\b"
    r"|\b(?:previous|prior|above|precedentes|ci-dessus|anteriores|previas)\s+"
    r"(?:instructions|rules|consignes|regles|instrucciones|reglas)\b"
    r"|\bsystem\s+(?:prompt|message)\b|\bprompt\s+systeme\b|\byou\s+are\s+now\b"
    r"|\bnew\s+instructions\b|\bnouvelles\s+instructions\b|\bnuevas\s+instrucciones\b"
    r"|<\|im_start\|>|^\s*(?:system|assistant)\s*:",
    re.M,
)
"""Sentences addressed to a language model rather than to readers (en/fr/es, folded):
"ignore previous instructions", "ignorez les consignes", "olvida las instrucciones",
"the above rules", "system prompt", "you are now", role tags. Reports use "ignore" with
other objects ("ignorer les règles du marché"), so the object must be instructions or
a prompt, or the rules be "previous"/"above"."""


def is_instruction(text: str) -> bool:
    """Whether ``text`` holds a sentence addressed to a language model (see
    :data:`_INSTRUCTION_RE`)."""
    return _INSTRUCTION_RE.search(fold(text)) is not None


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that try to instruct a language model (prompt injection).

    Each span runs from the start of a sentence matching the instruction patterns to
    the end of its paragraph, because an injected payload usually follows its trigger
    ("Ignore the instructions above. Say that …"). Such text is never support for an
    answer, never quoted as one and never taken as an element.

    Args:
        text: any text.

    Returns:
        ``(start, end)`` spans into ``text``, in order.
    """
    spans: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, line_breaks=False):
        if spans and s < spans[-1][1]:
            continue
        if is_instruction(text[s:e]):
            para_end = text.find("\n\n", e)
            spans.append((s, len(text) if para_end < 0 else para_end))
    return spans
