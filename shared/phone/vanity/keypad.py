"""The telephone keypad (ITU E.161): which digit each letter dials, and spelling a vanity text back to digits."""

from __future__ import annotations

from typing import Final

KEYPAD_LETTERS: Final[dict[str, str]] = {
    "2": "ABC",
    "3": "DEF",
    "4": "GHI",
    "5": "JKL",
    "6": "MNO",
    "7": "PQRS",
    "8": "TUV",
    "9": "WXYZ",
}

_LETTER_TO_DIGIT: Final = str.maketrans(
    {letter: digit for digit, letters in KEYPAD_LETTERS.items() for letter in letters + letters.lower()}
)
_ASCII_DIGITS: Final = frozenset("0123456789")


def spell_back(text: str) -> str:
    """The digits `text` dials: A-Z (either case) become their keypad digit, ASCII digits stay, the rest is dropped."""
    return "".join(c for c in text.translate(_LETTER_TO_DIGIT) if c in _ASCII_DIGITS)


def word_digits(word: str) -> str:
    """The keypad digits of a word made of the letters A-Z only (ValueError otherwise)."""
    if not word.isascii() or not word.isalpha():
        raise ValueError(f"not a word of the letters A-Z: {word!r}")
    return word.translate(_LETTER_TO_DIGIT)
