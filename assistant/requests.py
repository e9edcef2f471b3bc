"""Requests from outside (CLI arguments, ``--batch`` lines, the HTTP API, Python callers)
checked by type and content before anything is embedded or searched.

Every rule raises :class:`gfmd.errors.QueryError` with a message a user can act on:

- the question must be a string (``{"q": 5}`` is refused, not ``str()``-ed), without
  lone UTF-16 surrogates (what invalid UTF-8 in a command-line argument or a JSON
  ``"\\ud800"`` decodes to; no encoder can encode them), and with at least one letter or
  digit: a question of punctuation or emoji only (``"!!!???"``, ``"😀🔥"``) is refused
  with "no words to search" rather than answered from whatever is nearest (digits are
  words here: ``"2008"`` or ``"3.3"`` are meaningful keywords in this corpus);
- ``k`` is a whole number in ``1..`` :data:`MAX_K`;
- years are whole numbers in :data:`YEAR_RANGE`;
- ``doc_ids``, ``languages`` and ``kinds`` are strings or lists of strings (a single
  string is one value, never split into letters); languages are ISO 639-1 codes among
  :data:`ingest.language.DEFAULT_LANGUAGES`; element kinds among
  :data:`ingest.models.ELEMENT_KINDS`.

Checks that need the store (unknown document ids) stay in
:func:`assistant.retrieve.validate`, which calls :func:`check_question` and
:func:`check_filters`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.models import Filters
from gfmd.errors import QueryError
from ingest.language import DEFAULT_LANGUAGES
from ingest.models import ELEMENT_KINDS

MAX_K = 100
"""Largest number of hits a search may ask for (the ``retrieval.top_k`` setting's bound)."""

YEAR_RANGE = (1900, 2100)
"""Inclusive bounds of a year filter. The GFMD met first in 2007; the bounds only catch
typos and units mix-ups (``--year 20011``, ``year_min="abc"``)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Request:
    """A checked request.

    Attributes:
        question: stripped, checked by :func:`check_question`.
        k: hits wanted (1..:data:`MAX_K`), or None for ``retrieval.top_k``.
        filters: checked by :func:`check_filters`.
    """

    question: str
    k: int | None
    filters: Filters


def check_question(value: object) -> str:
    """The question, stripped.

    Args:
        value: anything a caller passed as the question.

    Returns:
        The stripped question (length is checked by :func:`assistant.retrieve.validate`).

    Raises:
        QueryError: not a string, empty, a lone surrogate, or no letter or digit.
    """
    if value is None:
        raise QueryError("empty query: type a question or some keywords")
    if not isinstance(value, str):
        raise QueryError(f"the question must be text, not {_type_name(value)}")
    q = value.strip()
    if not q:
        raise QueryError("empty query: type a question or some keywords")
    if m := _SURROGATE.search(q):
        raise QueryError(
            f"the question contains an invalid character (lone surrogate "
            f"U+{ord(m.group()):04X}; not valid UTF-8 or UTF-16 text)"
        )
    if not any(ch.isalnum() for ch in q):
        raise QueryError("no words to search: the question has no letters or digits")
    return q


def check_k(value: object) -> int | None:
    """Hits wanted: None (the default), or a whole number in 1..:data:`MAX_K`.

    Raises:
        QueryError: not a whole number, or out of range.
    """
    if value is None or value == "":
        return None
    k = _whole(value, "k (number of hits)")
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k (number of hits) must be between 1 and {MAX_K}, not {k}")
    return k


def check_year(value: object, name: str) -> int | None:
    """A year bound: None, or a whole number in :data:`YEAR_RANGE`.

    Args:
        value: the bound as given (int, integral float, digit string, None or "").
        name: how the message calls it ("year_min", "--year"…).

    Raises:
        QueryError: not a whole number, or outside :data:`YEAR_RANGE`.
    """
    if value is None or value == "":
        return None
    year = _whole(value, name)
    lo, hi = YEAR_RANGE
    if not lo <= year <= hi:
        raise QueryError(f"{name} must be a year between {lo} and {hi}, not {year}")
    return year


def check_filters(filters: object) -> Filters:
    """Check the types and values of filters built by any caller.

    Returns:
        Filters with tuples of strings and int years (a single string becomes one value).

    Raises:
        QueryError: a value of the wrong type, a year out of range, an inverted year
            range, an unknown language code or element kind.
    """
    if filters is None:
        return Filters()
    if not isinstance(filters, Filters):
        raise QueryError(f"filters must be Filters, not {_type_name(filters)}")
    year_min = check_year(filters.year_min, "year_min")
    year_max = check_year(filters.year_max, "year_max")
    if year_min is not None and year_max is not None and year_min > year_max:
        raise QueryError(f"year range {year_min}-{year_max} is empty")
    languages = tuple(v.lower() for v in _strings(filters.languages, "languages"))
    unknown = sorted(set(languages) - set(DEFAULT_LANGUAGES))
    if unknown:
        raise QueryError(
            f"unknown language code {', '.join(unknown)} (known: {', '.join(DEFAULT_LANGUAGES)})"
        )
    kinds = _strings(filters.kinds, "kinds")
    bad = sorted(set(kinds) - set(ELEMENT_KINDS))
    if bad:
        raise QueryError(
            f"unknown element kind {', '.join(bad)} (known: {', '.join(ELEMENT_KINDS)})"
        )
    meeting = filters.meeting
    if meeting is not None and not isinstance(meeting, str):
        raise QueryError(f"meeting must be text, not {_type_name(meeting)}")
    return Filters(
        doc_ids=_strings(filters.doc_ids, "doc_ids"),
        year_min=year_min,
        year_max=year_max,
        languages=languages,
        kinds=kinds,
        meeting=(meeting or "").strip() or None,
    )


def parse_request(raw: object, *, defaults: Filters | None = None) -> Request:
    """Check a request given as a mapping (a ``--batch`` line, an API call's arguments).

    Args:
        raw: ``{"q": ..., "k": ..., "doc_ids": ..., "year_min": ..., "year_max": ...,
            "languages": ..., "kinds": ..., "meeting": ...}``; ``"year"`` sets both
            bounds; ``"doc"``, ``"lang"``, ``"kind"`` are accepted for ``doc_ids``,
            ``languages``, ``kinds`` (the command-line names). Other keys are ignored
            (a batch line may carry an id or gold answers).
        defaults: filters for the keys ``raw`` does not have (the command line's).

    Returns:
        The checked request.

    Raises:
        QueryError: ``raw`` is not a mapping, has no question, or a value fails the
            rules of the module docstring.
    """
    if not isinstance(raw, Mapping):
        raise QueryError(f"a request must be a JSON object with a 'q' field, not {_type_name(raw)}")
    if "q" not in raw:
        raise QueryError("a request must be a JSON object with a 'q' field")
    question = check_question(raw["q"])
    base = defaults or Filters()
    year = raw.get("year")
    filters = Filters(
        doc_ids=raw.get("doc_ids", raw.get("doc", base.doc_ids)),
        year_min=raw.get("year_min", year if year is not None else base.year_min),
        year_max=raw.get("year_max", year if year is not None else base.year_max),
        languages=raw.get("languages", raw.get("lang", base.languages)),
        kinds=raw.get("kinds", raw.get("kind", base.kinds)),
        meeting=raw.get("meeting", base.meeting),
    )
    return Request(question, check_k(raw.get("k")), check_filters(filters))


def _whole(value: object, name: str) -> int:
    """A whole number from an int, an integral float or a string of digits."""
    if isinstance(value, bool):
        raise QueryError(f"{name} must be a whole number, not {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", value):
        return int(value)
    shown = repr(value) if isinstance(value, str | float) else _type_name(value)
    raise QueryError(f"{name} must be a whole number, not {shown}")


def _strings(value: object, name: str) -> tuple[str, ...]:
    """A tuple of non-empty strings from None, a string (one value) or a list of strings."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list | tuple | set | frozenset):
        out: list[str] = []
        for v in sorted(value, key=str) if isinstance(value, set | frozenset) else value:
            if not isinstance(v, str):
                raise QueryError(f"{name} must be text values, not {_type_name(v)}")
            if v.strip():
                out.append(v.strip())
        return tuple(out)
    raise QueryError(f"{name} must be text or a list of text, not {_type_name(value)}")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        "int": "a number",
        "float": "a number",
        "bool": "true/false",
        "dict": "an object",
        "list": "a list",
    }.get(type(value).__name__, type(value).__name__)
