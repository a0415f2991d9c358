"""Build the vanity-number word index that `shared.phone.vanity` ships (run once; the output is committed).

The Lambda never builds anything at run time: it only loads the two gzip'd files this script writes
into `shared/phone/vanity/`:

- `index.json.gz`: `{"format": 1, "source": ..., "words": N, "keys": K, "index": {DIGITS: "word centizipf ..."}}`,
  one entry per keypad digit string, its words ordered by frequency (most common first, then
  alphabetically), at most `--per-key` of them. Values stay flat strings so that a cold start only pays
  for one `json.loads` of a flat object; `shared.phone.vanity.engine` splits a value the first time a number
  needs it.
- `blocklist.txt.gz`: the offensive words, one a line. They are left out of the index here and checked
  again at run time (also across word boundaries), so an index injected in a test obeys them too.

Sources are packages, never the network:

- `wordfreq==3.1.1`: the candidates (its `top_n_list('en', --top)`) and their written frequency (zipf).
- `pyspellchecker==0.9.1`: its English dictionary decides what is a word (wordfreq's list is full of
  abbreviations, names and fragments: gpu, esp, intl, wku); the counts it ships come from spoken English
  (subtitles), and a word's frequency is the lower of the two zipf values. A vanity number is heard on the
  phone, and the written list inflates tokens that nobody says (gov from URLs, offs from lay-offs:
  4.0 and 3.7 written, 1.7 and 2.3 spoken). A short hand list adds modern words the dictionary lacks
  (app, tech, meds), with their written frequency.
- `better-profanity==0.7.0`: its `profanity_wordlist.txt`, plus the hand list below, minus a few plain
  words it over-blocks.

Kept: 2-10 letters a-z, two-letter words only from a short list of real ones, at least one vowel (y
counts), and an effective zipf of at least 2.0 (2.2 for 2-3 letters). With the defaults (top 100,000)
that leaves about 32,500 words under 29,000 digit strings, 0.24 MB gzip'd.

Both gzip streams are written with a zero mtime, so rebuilding with the same packages gives the same
bytes; `--check` rebuilds in memory and fails when the committed files differ.

Usage: `python tools/build_vanity_index.py [--top 100000] [--per-key 12] [--check]`
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import re
import sys
from collections import defaultdict
from importlib import metadata, resources
from pathlib import Path

import wordfreq
from spellchecker import SpellChecker

OUT_DIR = Path(__file__).resolve().parent.parent / "shared" / "phone" / "vanity"
INDEX_NAME = "index.json.gz"
BLOCKLIST_NAME = "blocklist.txt.gz"
FORMAT = 1


def wordset(text: str) -> frozenset[str]:
    """A set from whitespace-separated words (long word lists stay readable this way)."""
    return frozenset(text.split())


KEYPAD = {
    **dict.fromkeys("abc", "2"),
    **dict.fromkeys("def", "3"),
    **dict.fromkeys("ghi", "4"),
    **dict.fromkeys("jkl", "5"),
    **dict.fromkeys("mno", "6"),
    **dict.fromkeys("pqrs", "7"),
    **dict.fromkeys("tuv", "8"),
    **dict.fromkeys("wxyz", "9"),
}

MIN_LEN = 2
MAX_LEN = 10
# Below these (effective) zipf values the dictionary's words are mostly ones nobody says (tob, amu, wyo,
# esq: zipf 1.48 is pyspellchecker's floor, a word it saw about 50 times); short ones need more evidence
# because the short slots are where abbreviations and fragments crowd.
MIN_ZIPF = 2.0
MIN_ZIPF_SHORT = 2.2  # words of 2-3 letters
WORD_RE = re.compile(r"[a-z]+")

# wordfreq's two-letter "words" are mostly abbreviations and fragments (uk, tv, ll, mm, ii, ...),
# which would make vanity numbers look like typos. Only these real words of two letters are kept.
TWO_LETTER_WORDS = wordset(
    "ad ah am an as at aw be by do go ha he hi ho if in is it me my no of oh ok on or ox so to up us we yo"
)

# Common modern words that pyspellchecker's dictionary lacks (checked one by one), kept with their written frequency.
EXTRA_WORDS = wordset("admin app apps bio cafe crypto cyber ebook emoji hvac intro med meds memes selfie tech wifi")

# Words a business would not want read back to its callers that better-profanity does not list
# (slurs, hate and violence terms), and the short cores of listed phrases that a keypad can spell.
HAND_BLOCKLIST = wordset(
    """
    nazi nazis kkk rape raped rapes rapist slut sluts whore whores porn porno nigga nigger fag fags
    faggot dyke tranny retard retards spic spics kike kikes chink gook wetback hitler isis jihad
    pedo pedos incest molest suicide murder meth heroin cocaine sex sexy xxx anal cum
    tit tits poop puke piss pee dick dicks cock cocks fuck fucks shit shits damn hell ass asses mfer mofo
    yid yids dago dagos wog wogs gyp gypped hymie raghead towelhead beaner beaners coolie coolies sambo
    darkie darkies redskin redskins squaw jigaboo
    """
)


# False positives of the package's list (it blocks plain words that a business may well want) allowed back.
ALLOWLIST = wordset("facial maxi organ pawn revue rum sandbar seaman seamen slope stroke vodka whiz")


def keypad_digits(word: str) -> str:
    return "".join(KEYPAD[c] for c in word)


def load_blocklist() -> list[str]:
    """The package's list (multi-word entries joined, since a vanity number has no spaces) + the hand list."""
    raw = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    blocked = set(HAND_BLOCKLIST)
    for line in raw.splitlines():
        joined = re.sub(r"[\s\-]+", "", line.strip().lower())
        # entries with digits or other symbols (leetspeak) cannot come out of a keypad spelling
        if WORD_RE.fullmatch(joined) and MIN_LEN <= len(joined) <= MAX_LEN:
            blocked.add(joined)
    return sorted(blocked - ALLOWLIST)


def keep_word(word: str) -> bool:
    if not WORD_RE.fullmatch(word) or not MIN_LEN <= len(word) <= MAX_LEN:
        return False
    if len(word) == 2:
        return word in TWO_LETTER_WORDS
    # no vowel (y counts) means an abbreviation or a code (gmt, nfl, http), not a word to dial
    return any(c in "aeiouy" for c in word)


def spoken_zipf() -> dict[str, float]:
    """pyspellchecker's English words with their zipf value (log10 of occurrences per billion words)."""
    counts = SpellChecker(language="en").word_frequency.dictionary
    total = sum(counts.values())
    return {word: math.log10(count * 1e9 / total) for word, count in counts.items() if count > 0}


def build(top: int, per_key: int) -> tuple[bytes, bytes, dict[str, int]]:
    blocked = load_blocklist()
    blocked_set = frozenset(blocked)
    spoken = spoken_zipf()
    by_digits: dict[str, list[tuple[int, str]]] = defaultdict(list)
    seen = 0
    for word in wordfreq.top_n_list("en", top):
        if not keep_word(word) or word in blocked_set or (word not in spoken and word not in EXTRA_WORDS):
            continue
        zipf = wordfreq.zipf_frequency(word, "en")
        effective = min(zipf, spoken.get(word, zipf))
        if effective < (MIN_ZIPF_SHORT if len(word) <= 3 else MIN_ZIPF):
            continue
        centi_zipf = round(effective * 100)
        by_digits[keypad_digits(word)].append((centi_zipf, word))
        seen += 1

    index: dict[str, str] = {}
    kept = 0
    for digits in sorted(by_digits):
        # most common first; equal frequencies alphabetically, so the order never depends on the input list's order
        entries = sorted(by_digits[digits], key=lambda e: (-e[0], e[1]))[:per_key]
        kept += len(entries)
        index[digits] = " ".join(f"{w} {z}" for z, w in entries)

    doc = {
        "format": FORMAT,
        "source": (
            f"wordfreq {metadata.version('wordfreq')} top_n_list('en', {top}); "
            f"pyspellchecker {metadata.version('pyspellchecker')} (dictionary, spoken frequency); "
            f"better-profanity {metadata.version('better-profanity')} + hand list"
        ),
        "words": kept,
        "keys": len(index),
        "index": index,
    }
    index_bytes = _gzip(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    blocklist_bytes = _gzip(("\n".join(blocked) + "\n").encode("utf-8"))
    stats = {
        "candidates": seen,
        "words": kept,
        "keys": len(index),
        "blocked": len(blocked),
        "index_bytes": len(index_bytes),
        "blocklist_bytes": len(blocklist_bytes),
    }
    return index_bytes, blocklist_bytes, stats


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    # mtime=0 and no file name: the same input gives the same bytes, so the committed artifact diffs cleanly
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=100_000, help="how many of wordfreq's most common English words")
    parser.add_argument("--per-key", type=int, default=12, help="most words kept per digit string")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ from a rebuild")
    args = parser.parse_args(argv)

    index_bytes, blocklist_bytes, stats = build(args.top, args.per_key)
    targets = ((args.out / INDEX_NAME, index_bytes), (args.out / BLOCKLIST_NAME, blocklist_bytes))
    if args.check:
        stale = [str(p) for p, data in targets if not p.is_file() or p.read_bytes() != data]
        if stale:
            print("out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        print(json.dumps({"up_to_date": True, **stats}))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for path, data in targets:
        path.write_bytes(data)
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
