"""Language-aware lexical analysis for the BM25 index: accent folding, elision
splitting, stop-word removal and Snowball stemming (PyStemmer) for English, French and
Spanish.

Stop-word lists are the common function words of each language, abridged from the
Snowball project's lists (snowballstem.org, "stop words" pages for english, french,
spanish); accents are folded before lookup, as in the indexed text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from corpus.text import fold

STEMMER_NAMES = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "de": "german",
    "it": "italian",
}

_STOP = {
    "en": """a about above after again against all also am an and any are as at be because been
        before being below between both but by can could did do does doing down during each few
        for from further had has have having he her here hers herself him himself his how i if in
        into is it its itself just me more most my myself no nor not now of off on once only or
        other our ours ourselves out over own same she should so some such than that the their
        theirs them themselves then there these they this those through to too under until up
        very was we were what when where which while who whom why will with would you your yours
        yourself yourselves may might shall must what which whose upon within without via per""",
    "fr": """a afin ai aie aient aies ait alors as au aucun aupres aussi autre aux avaient avais
        avait avant avec avez aviez avions avoir avons ayant c ca ce ceci cela celle celles celui
        cependant ces cet cette ceux chacun chaque ci comme comment d dans de des deux doit donc
        dont du elle elles en encore entre es est et etaient etais etait etant ete etre eu eux
        fait faire fois font hors il ils j je jusqu l la le les leur leurs lors lui m ma mais me
        meme memes mes moi mon n ne ni nos notre nous on ont or ou par parce pas peu peut peuvent
        plus pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se selon ses
        si sien soi soit son sont sous sur t ta te tes toi ton tous tout toute toutes tres tu un
        une vos votre vous y sera seront serait seraient sein ainsi celles etc dit quelles quels""",
    "es": """a al algo algunas algunos ante antes como con contra cual cuales cuando cuanto de del
        desde donde durante e el ella ellas ellos en entre era erais eran eras es esa esas ese
        eso esos esta estaba estado estan estar este esto estos fue fueron fui ha habia han has
        hasta hay la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra
        otras otro otros para pero poco por porque que quien quienes se sea ser si sido sin sobre
        son su sus tambien tanto te tiene tienen todo todos tu tus un una unas uno unos usted
        ustedes y ya cual cuales cuantos cuantas que se fueron sera seran""",
}

STOPWORDS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in _STOP.items()}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=16)
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = STEMMER_NAMES.get(language)
    return Stemmer.Stemmer(name) if name else None


def tokenize(text: str) -> list[str]:
    """Accent-folded word tokens; elisions ("l'intégration") split at the apostrophe.

    Returns:
        Tokens in order, numbers kept ("10.c" -> "10", "c").
    """
    return _WORD.findall(fold(text))


def analyze(text: str, language: str | None) -> list[str]:
    """Tokens for BM25: folded, stop words of ``language`` removed, stemmed in ``language``.

    Args:
        text: any text.
        language: ISO 639-1 code; None or an unsupported code: folding only, with the
            union of the known stop-word lists removed.

    Returns:
        Analyzed tokens in order (may be empty).
    """
    stop = STOPWORDS.get(language or "", frozenset().union(*STOPWORDS.values()))
    tokens = [t for t in tokenize(text) if t not in stop and (len(t) > 1 or t.isdigit())]
    stemmer = _stemmer(language or "")
    return stemmer.stemWords(tokens) if stemmer else tokens
