"""Small text helpers every standardization rule shares: whitespace, accents, comparison keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def collapse(value: str) -> str:
    """Trim and collapse every run of whitespace (tabs, newlines, NBSP) to one space; "" means missing."""
    return " ".join(value.split())


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Société" -> "societe", "Straße" -> "strasse".

    NFKD splits letters from their combining accents, which are then dropped; casefold also
    turns "ß" into "ss", which NFKD alone does not.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=8192)
def comparison_key(text: str) -> str:
    """Folded, with punctuation turned into single spaces: "U.S.A." -> "usa", "Côte d'Ivoire" -> "cote d ivoire"."""
    folded = fold(text).replace(".", "")
    return " ".join(_NOT_ALNUM.sub(" ", folded).split())


def words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string, as word lists read best."""
    return frozenset(text.split())
