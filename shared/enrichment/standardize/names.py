"""Person names: a full name split into first and last, and casing repaired where the input has none.

Casing is only touched when a cell is all lower-case or ALL UPPER-CASE: mixed case was typed
by someone who knew ("DeShawn", "McKinsey", "de Vries"), and guessing would only break it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from shared.enrichment.standardize.text import words

# Written in lower case inside a surname (after the given name): "Ludwig van Beethoven", "Ana de la Cruz".
_LOWER_PARTICLES = words(
    "van von der den de del della delle dei degli di da das dos do du ter ten zu zum zur bin binti bint ibn y"
)
# Start a surname when they follow the given name, but keep their capital when cased ("Marine Le Pen").
_SURNAME_STARTERS = _LOWER_PARTICLES | {"la", "le", "al", "el", "st"}
# Honorifics before a name; folded, without dots. ("M." is left out: it is as often an initial.)
_HONORIFICS = words(
    "mr mrs ms miss mx dr prof professor sir dame lord lady rev revd fr herr frau mme mlle sr sra srta dott dottssa "
    "dra dr-ing ing mevr dhr sig sigra"
)
# Suffixes after a name; folded, without dots.
_SUFFIXES = words("jr jnr sr snr ii iii iv phd md esq mba cpa dds jd rn")
_ROMAN = frozenset({"ii", "iii", "iv"})
# "Mac" + capital only for these: Mack, Macy, Machado, Macias and Mace stay as they are.
_MAC_NAMES = words(
    "macarthur macaulay macbride maccarthy macdonald macdougall macduff macfarlane macgillivray macgregor "
    "macinnes macintosh macintyre maciver mackay mackenzie mackinnon maclachlan maclean macleod maclennan "
    "macmahon macmillan macnamara macneil macpherson macquarrie macqueen macrae"
)
_APOSTROPHES = ("'", "\u2019")


@dataclass(frozen=True, slots=True)
class NameParts:
    first: str
    last: str
    prefix: str = ""  # honorifics taken off the front ("Dr.")
    suffix: str = ""  # generational and academic suffixes taken off the end ("Jr.", "PhD")


def _bare(token: str) -> str:
    return token.lower().replace(".", "").strip(",")


def needs_casing(value: str) -> bool:
    """True for "ana lima" and "ANA LIMA"; False for "Ana Lima", "deShawn" and "1234"."""
    return value.lower() != value.upper() and (value == value.lower() or value == value.upper())


def _case_piece(piece: str) -> str:
    low = piece.lower()
    for mark in _APOSTROPHES:
        if mark in low:
            # O'Neil, D'Angelo, Dell'Acqua
            return mark.join(_case_piece(part) for part in low.split(mark))
    if low.startswith("mc") and len(low) > 3:
        return "Mc" + low[2].upper() + low[3:]
    if low in _MAC_NAMES:
        return "Mac" + low[3].upper() + low[4:]
    return low[:1].upper() + low[1:]


def _case_word(word: str) -> str:
    if _bare(word) in _ROMAN:
        return word.upper()
    return "-".join(_case_piece(part) for part in word.split("-"))


@lru_cache(maxsize=16384)
def case_name(value: str, *, surname: bool = False) -> str:
    """Proper casing for a name without any ("MCDONALD" -> "McDonald"); mixed case is returned as given.

    In a surname, particles followed by more of the name stay lower-case ("van der Berg"),
    as they are written after a given name.
    """
    if not needs_casing(value):
        return value
    tokens = value.split()
    cased: list[str] = []
    for index, word in enumerate(tokens):
        bare = _bare(word)
        followed = index + 1 < len(tokens)
        after_particle = bool(cased) and cased[-1] in _LOWER_PARTICLES
        if surname and followed and (bare in _LOWER_PARTICLES or (bare in {"la", "le"} and after_particle)):
            cased.append(word.lower())
        else:
            cased.append(_case_word(word))
    return " ".join(cased)


def _take_affixes(tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    prefix: list[str] = []
    suffix: list[str] = []
    while len(tokens) > 1 and _bare(tokens[0]) in _HONORIFICS:
        prefix.append(tokens.pop(0))
    while len(tokens) > 1 and _bare(tokens[-1]) in _SUFFIXES:
        suffix.insert(0, tokens.pop())
    return prefix, tokens, suffix


@lru_cache(maxsize=16384)
def split_full_name(value: str) -> NameParts:
    """First and last name from one cell: "Ana Lima", "LIMA, ANA", "Dr. Ana Maria de la Cruz Jr.".

    Middle names stay with the first name; the surname starts at the first particle after the
    given name ("van der Berg", "bin Rashid") or is the last word.
    """
    recase = needs_casing(value)
    text = " ".join(value.replace('"', " ").split())
    suffix: list[str] = []
    parts = [part.strip() for part in text.split(",")]
    # "John Smith, Jr." and "Smith, John, PhD": trailing comma parts that are only suffixes.
    while len(parts) > 1 and parts[-1] and all(_bare(token) in _SUFFIXES for token in parts[-1].split()):
        suffix[:0] = parts.pop().split()
    parts = [part for part in parts if part]
    if len(parts) == 2:
        # "Last, First"
        prefix, given, more_suffix = _take_affixes(parts[1].split())
        surname_tokens = parts[0].split()
        first, last = " ".join(given), " ".join(surname_tokens)
        suffix = more_suffix + suffix
    else:
        prefix, tokens, more_suffix = _take_affixes(" ".join(parts).split())
        suffix = more_suffix + suffix
        start = len(tokens) - 1
        for index in range(1, len(tokens) - 1):
            if _bare(tokens[index]) in _SURNAME_STARTERS:
                start = index
                break
        if len(tokens) == 1:
            first, last = tokens[0], ""
        else:
            first, last = " ".join(tokens[:start]), " ".join(tokens[start:])
    if recase:
        first = case_name(first)
        last = case_name(last, surname=True)
        prefix = [_case_word(token) for token in prefix]
        suffix = [token.upper() if _bare(token) in _ROMAN else _case_word(token) for token in suffix]
    return NameParts(first, last, " ".join(prefix), " ".join(suffix))


def is_honorific(value: str) -> bool:
    """True for a cell that is only an honorific ("Mr.", "Dr", "Frau"): Outlook's "Title" column holds these."""
    tokens = value.split()
    return bool(tokens) and all(_bare(token) in _HONORIFICS for token in tokens)
