"""The grounding guard: a value from the model is kept only when the input it was read from contains it.

A model asked to read a messy cell can answer with a plausible value that is not there: a
completed email, a "fixed" phone number, a name from elsewhere. None of that may reach a lead.
So every value is checked against the source text, per field:

- email: the address appears in the source as a whole address (case-insensitive), not as part of
  a longer one ("ana@acme.com" is not in "diana@acme.com" or "ana@acme.com.br");
- phone: its digits appear in order within one run of digits of the source (formatting between
  digits allowed, spelled-out digits such as "five" read as digits), or they are a country code
  the source omitted followed by exactly that run (a trunk "0" of the source may go);
- names, company, title: every word appears in the source as a word (accents and case ignored;
  "McDonald" may be written "Mc Donald" on either side);
- country: the source names that country, as a name ("Deutschland") or as an upper-case code ("DE").
"""

from __future__ import annotations

import re
from functools import lru_cache

from shared.enrichment.standardize.countries import country_code
from shared.enrichment.standardize.text import collapse, fold

GROUNDED_FIELDS = frozenset({"email", "phone", "first_name", "last_name", "full_name", "company", "title", "country"})
_WORD_FIELDS = frozenset({"first_name", "last_name", "full_name", "company", "title"})

# Shorter than this, a run of digits is no phone number and would match almost any source.
MIN_PHONE_DIGITS = 5
_MAX_PHONE_DIGITS = 15  # E.164

_LOCAL_CHARS = r"\w.!#$%&'*+/=?^`{|}~-"
_EMAIL_SHAPE = re.compile(rf"[{_LOCAL_CHARS}]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_SHAPE = re.compile(r"\+?[\d\s().\-]+")
_NOT_DIGIT = re.compile(r"\D+")
_TRUNK_IN_PARENS = re.compile(r"\(\s*0\s*\)")  # "+44 (0)20 ...": the 0 is dialled only from inside the country
_PHONE_TOKEN = re.compile(r"\d+|[^\W\d_]+|\S")
# Commas too: people pause with them in spelled-out numbers ("five five five, one two three").
_PHONE_JOINERS = frozenset("-.,()+\u2013\u2012")
_WORD = re.compile(r"[^\W_]+")

# Spelled-out digits in the languages lead files come in (folded: "três" is "tres", "fünf" is "funf").
_DIGIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("zero", "oh", "o", "cero", "null", "nul"), "0"),
    **dict.fromkeys(("one", "uno", "una", "um", "uma", "un", "une", "eins", "een"), "1"),
    **dict.fromkeys(("two", "dos", "dois", "duas", "deux", "zwei", "due", "twee"), "2"),
    **dict.fromkeys(("three", "tres", "trois", "drei", "tre", "drie"), "3"),
    **dict.fromkeys(("four", "cuatro", "quatro", "quatre", "vier", "quattro"), "4"),
    **dict.fromkeys(("five", "cinco", "cinq", "funf", "fuenf", "cinque", "vijf"), "5"),
    **dict.fromkeys(("six", "seis", "sechs", "sei", "zes"), "6"),
    **dict.fromkeys(("seven", "siete", "sete", "sept", "sieben", "sette", "zeven"), "7"),
    **dict.fromkeys(("eight", "ocho", "oito", "huit", "acht", "otto"), "8"),
    **dict.fromkeys(("nine", "nueve", "nove", "neuf", "neun", "negen"), "9"),
}  # fmt: skip
_REPEATS = {"double": 2, "triple": 3}


def grounded(field: str, value: str, source_text: str) -> bool:
    """True when `value` for `field` is found in `source_text` (see the module docstring); unknown fields never are."""
    value = collapse(value)
    if not value or not source_text:
        return False
    if field == "email":
        return _email_grounded(value, source_text)
    if field == "phone":
        return _phone_grounded(value, source_text)
    if field in _WORD_FIELDS:
        return _words_grounded(value, source_text)
    if field == "country":
        return _country_grounded(value, source_text)
    return False


def _email_grounded(value: str, source: str) -> bool:
    if not _EMAIL_SHAPE.fullmatch(value):
        return False
    # Whole-address boundaries: no address characters before it, and no more domain after it.
    pattern = rf"(?<![{_LOCAL_CHARS}]){re.escape(value)}(?![\w-]|\.[\w-])"
    return re.search(pattern, source, re.IGNORECASE) is not None


def _phone_grounded(value: str, source: str) -> bool:
    if not _PHONE_SHAPE.fullmatch(value):
        return False
    digits = _NOT_DIGIT.sub("", value)
    if not MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS:
        return False
    for run in digit_runs(source):
        if digits in run:
            return True
        national = run[1:] if run.startswith("0") else run
        for code_length in (1, 2, 3):
            rest = digits[code_length:]
            if len(rest) >= MIN_PHONE_DIGITS and rest in (run, national):
                return True
    return False


@lru_cache(maxsize=4096)
def digit_runs(text: str) -> tuple[str, ...]:
    """The runs of digits in `text` that may each be one phone number.

    Digits and spelled-out digits joined only by spaces and phone punctuation make one run; any
    other word or sign ends it: "call five 5 5-12, 34 or 020" -> ("5551234", "020").
    """
    runs: list[str] = []
    folded = fold(text)
    for variant in (folded, _TRUNK_IN_PARENS.sub(" ", folded)):
        current: list[str] = []
        repeat = 1
        for match in _PHONE_TOKEN.finditer(variant):
            token = match.group()
            digit = token if token.isdigit() else _DIGIT_WORDS.get(token)
            if digit is not None:
                current.append(digit[0] * repeat + digit[1:])
            elif token in _REPEATS:
                repeat = _REPEATS[token]
                continue
            elif token not in _PHONE_JOINERS:
                if current:
                    runs.append("".join(current))
                current = []
            repeat = 1
        if current:
            runs.append("".join(current))
    return tuple(dict.fromkeys(runs))


def _words_grounded(value: str, source: str) -> bool:
    wanted = _WORD.findall(fold(value))
    have = _WORD.findall(fold(source))
    if not wanted or not have:
        return False
    known = set(have)
    # "McDonald" in the value and "Mc Donald" in the source, or the other way round.
    joined = {"".join(have[start : start + size]) for size in (2, 3) for start in range(len(have) - size + 1)}
    index = 0
    while index < len(wanted):
        if wanted[index] in known or wanted[index] in joined:
            index += 1
            continue
        for end in range(index + 2, min(len(wanted), index + 3) + 1):
            if "".join(wanted[index:end]) in known:
                index = end
                break
        else:
            return False
    return True


def _country_grounded(value: str, source: str) -> bool:
    code = country_code(value)
    if code is None:
        return False
    words = _WORD.findall(source)
    for size in (1, 2, 3, 4):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            # Two- and three-letter words count as codes only in capitals: "de", "in", "it" are words.
            if len(phrase) <= 3 and not phrase.isupper():
                continue
            if country_code(phrase) == code:
                return True
    return False
