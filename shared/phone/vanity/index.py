"""The digits-to-words index: which English words a keypad digit string spells, most common first.

The packaged index is built once by `tools/build_vanity_index.py` (wordfreq's English list, 2-10 letters,
offensive words removed) and shipped as `index.json.gz` beside this module, with `blocklist.txt.gz`.
Loading only decompresses and `json.loads` one flat object; a digit string's value
(`"word centizipf word centizipf ..."`) is split the first time a number needs it, so a cold start does
not pay for the tens of thousands of entries a call never touches.

Blocked words are dropped at lookup even though the build already left them out, so a stale artifact or
an injected test index obeys the current blocklist.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import ClassVar, Final

from shared.phone.vanity.keypad import word_digits

ARTIFACT: Final = Path(__file__).with_name("index.json.gz")
BLOCKLIST: Final = Path(__file__).with_name("blocklist.txt.gz")
FORMAT: Final = 1
MIN_WORD: Final = 2
MAX_WORD: Final = 10

_WORD: Final = re.compile(r"[a-z]+")

Entry = tuple[str, int]  # (WORD in capitals, frequency in centi-zipf)


class VanityIndex:
    """Keypad digit strings -> words with their frequency; build with `load()` or `from_words()`."""

    _packaged: ClassVar[VanityIndex | None] = None
    _packaged_blocklist: ClassVar[frozenset[str] | None] = None

    def __init__(self, raw: dict[str, str], blocked: frozenset[str], *, source: str) -> None:
        self._raw = raw
        self._entries: dict[str, tuple[Entry, ...]] = {}
        self.blocked = blocked
        self.source = source

    @classmethod
    def load(cls) -> VanityIndex:
        """The packaged index, read once per process (a Lambda container keeps it across invocations)."""
        if cls._packaged is None:
            doc = json.loads(gzip.decompress(ARTIFACT.read_bytes()))
            if doc.get("format") != FORMAT:
                raise RuntimeError(f"{ARTIFACT.name} has format {doc.get('format')!r}, expected {FORMAT}: rebuild it")
            cls._packaged = cls(doc["index"], cls.packaged_blocklist(), source=str(doc["source"]))
        return cls._packaged

    @classmethod
    def packaged_blocklist(cls) -> frozenset[str]:
        """The offensive words (lower case) that never appear in a result."""
        if cls._packaged_blocklist is None:
            text = gzip.decompress(BLOCKLIST.read_bytes()).decode("utf-8")
            cls._packaged_blocklist = frozenset(line for line in text.splitlines() if line)
        return cls._packaged_blocklist

    @classmethod
    def from_words(cls, words: Mapping[str, float], *, blocklist: Iterable[str] | None = None) -> VanityIndex:
        """An index of exactly `words` (word -> zipf frequency), for tests and experiments.

        Words are 2-10 letters A-Z (any case; ValueError otherwise). Words on the blocklist (the packaged
        one unless given) are left out, as the build does.
        """
        blocked = cls.packaged_blocklist() if blocklist is None else frozenset(w.lower() for w in blocklist)
        grouped: dict[str, list[tuple[int, str]]] = {}
        for word, zipf in words.items():
            lower = word.lower()
            if not _WORD.fullmatch(lower) or not MIN_WORD <= len(lower) <= MAX_WORD:
                raise ValueError(f"a vanity word has {MIN_WORD}-{MAX_WORD} letters A-Z: {word!r}")
            if lower in blocked:
                continue
            grouped.setdefault(word_digits(lower), []).append((round(zipf * 100), lower))
        raw = {
            digits: " ".join(f"{w} {z}" for z, w in sorted(entries, key=lambda e: (-e[0], e[1])))
            for digits, entries in grouped.items()
        }
        return cls(raw, blocked, source="from_words")

    def lookup(self, digits: str) -> tuple[Entry, ...]:
        """The words `digits` spells, most common first (ties alphabetically); empty when none."""
        found = self._entries.get(digits)
        if found is None:
            value = self._raw.get(digits)
            found = () if value is None else self._parse(value)
            self._entries[digits] = found
        return found

    def _parse(self, value: str) -> tuple[Entry, ...]:
        fields = value.split()
        return tuple(
            (word.upper(), int(centi))
            for word, centi in zip(fields[::2], fields[1::2], strict=True)
            if word not in self.blocked
        )

    def words(self) -> Iterator[str]:
        """Every word of the index in lower case (blocked ones left out), in digit-string order; parses all."""
        for digits in sorted(self._raw):
            for word, _ in self.lookup(digits):
                yield word.lower()

    def is_blocked(self, word: str) -> bool:
        return word.lower() in self.blocked

    def __len__(self) -> int:
        """How many digit strings have at least one word (before the run-time blocklist check)."""
        return len(self._raw)
