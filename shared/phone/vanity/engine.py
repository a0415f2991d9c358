"""Vanity numbers for a caller: the best ways to write the number with English words, and how to say them.

`vanity_numbers("+18004685865")` -> `[Vanity(text="1-800-GOT-JUNK", ...), ...]`.

Search. Only the subscriber part of the number is searched (see `shared.phone.vanity.numbers`: for NANP the last
7 digits; the country and area codes stay digits). A parse of it is a sequence of segments, each either a
word from the index (2-10 letters spelling exactly those digits) or a run of kept digits (two runs never
touch, so every text has one parse). Digits 0 and 1 carry no letters, so they are always kept. Because the
score below is a sum over segments (plus terms that only look at a segment's ends), a k-best dynamic
programme over positions, right to left, finds the exact top-k parses: each state (position, "the segment
before was a digit run") keeps its k best completions, merged lazily through a heap.

Score (in points; the code works in integer milli-points so that ties are exact):

    score = sum over words   [ 10 * letters - 8 - (4 if the word has 2 letters) + 0.5 * letters * max(0, zipf - 2) ]
          - sum over digit runs [ 1 + (2 if the run sits between two words) ]
          + 1.5 if a segment boundary falls on the NANP exchange/line boundary (555-CALL, GOT-JUNK)
          + 1   if the number ends with a word

so a covered digit (10) outweighs everything else: fewer leftover digits first; then each extra word
costs 8 and two-letter words 4 more (fewer, longer words beat many short ones: PAINTER beats RAG-OVER);
then frequency, weighted by the letters a word covers. `zipf` is the index's log10 frequency per billion
words, the lower of written (wordfreq) and spoken (pyspellchecker) English: 'the' is 7.7, 'junk' 4.0, and
the index keeps nothing under 2. So a common pair (GOT-JUNK) beats one rare 7-letter word, but not a
common one. Kept digits wedged between words are the awkward split that costs extra.

Selection. The best `count + 20` parses, distinct by their text without hyphens (GOT-JUNK and GOTJUNK are
one), form a pool; the search goes deeper when deduplication or the blocklist leaves fewer than `count`.
Results are
picked greedily from it by score minus 3 points for each word an already picked result uses, so that five
results are not five variants of one word ("SET-ODDS", "SET-OFFS", "SET-MEDS", ...). `Vanity.score` is that
adjusted score, so scores never increase down the list. Ties fall to the lower text, so the output depends
on the input and the index only (no set or hash order is involved).

Filling. Parses with at least one word come first, partial ones included (a word over 3-4 digits, the rest
kept). Only when those run out (a number of 0s and 1s, or one no word fits) is the list filled with the
plain number in deterministic groupings: the conventional one (1-800-468-5865), then with `+`, then with
spaces, then every other grouping of the subscriber digits (fewest groups first). So there are always
exactly `count` distinct texts, and every one spells back to the number's digits. Never random letters.

Blocklist. Blocked words never appear: the index drops them, and a result whose adjacent words join into a
blocked word of 4+ letters across their boundary ("PEN-IS...") is dropped as well.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from shared.phone.vanity.index import VanityIndex
from shared.phone.vanity.keypad import spell_back
from shared.phone.vanity.numbers import InvalidNumber, PhoneNumber, normalize_number, parse_number

__all__ = [
    "InvalidNumber",
    "Vanity",
    "VanityIndex",
    "normalize_number",
    "spell_back",
    "spoken",
    "vanity_numbers",
]

MAX_COUNT: Final = 20

# Scoring, in milli-points (see the module docstring).
LETTER: Final = 10_000
WORD: Final = 8_000
SHORT_WORD: Final = 4_000
FREQ_FLOOR: Final = 200  # centi-zipf below which a word earns no frequency bonus
FREQ_PER_LETTER: Final = 5  # milli-points per letter per centi-zipf above the floor (0.5 per zipf)
RUN: Final = 1_000
SANDWICHED_RUN: Final = 2_000
STRUCTURE: Final = 1_500
ENDS_WITH_WORD: Final = 1_000
REPEATED_WORD: Final = 3_000
CROSS_BLOCK_MIN: Final = 4  # shorter blocked strings across word boundaries are mostly innocent (HAS-SET)

_POOL_EXTRA: Final = 20  # parses searched beyond `count`, for deduplication and variety

Segment = tuple[int, int, str | None]  # [start, end) in the searched digits; the word, or None for kept digits
Parse = tuple[int, tuple[Segment, ...]]  # (score, segments)


@dataclass(frozen=True)
class Vanity:
    """One way to write the number: `text` is the display form, `digits` what it dials."""

    text: str  # e.g. "1-800-GOT-JUNK"
    digits: str  # the normalized digit string `text` spells back to, e.g. "18004685865"
    words: tuple[str, ...]  # the words in order, in capitals; () for a plain-number filler
    score: float  # ranking score in points (module docstring); 0.0 for a plain-number filler
    letters: int  # how many digits the words cover


def vanity_numbers(number: str, count: int = 5, *, index: VanityIndex | None = None) -> list[Vanity]:
    """The `count` best distinct vanity texts for `number` (E.164 or NANP digits), best first.

    Raises `InvalidNumber` (a ValueError) for a withheld, empty or malformed number, and ValueError for a
    `count` outside 1..20.
    """
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be 1..{MAX_COUNT}, not {count}")
    phone = parse_number(number)
    idx = VanityIndex.load() if index is None else index

    k = count + _POOL_EXTRA
    while True:
        parses = _k_best(phone, idx, k + 1)  # +1: the all-digits parse is among them and is not a result
        pool = _pool(phone, idx, parses)
        # a full pool may have lost parses to deduplication or the blocklist: search deeper before filling
        if len(pool) >= count or len(parses) < k + 1:
            break
        k *= 4

    results = _select(phone, pool, count)
    if len(results) < count:
        results.extend(_plain(phone, count - len(results)))
    return results


def spoken(v: Vanity) -> str:
    """Plain text (no SSML) for Amazon Polly: digits one by one, words whole, a pause (comma) between groups.

    "1-800-GOT-JUNK" -> "1 8 0 0, got, junk"; "+44-207-946-CALL" -> "plus 4 4, 2 0 7, 9 4 6, call". The
    North American 1 is said with the area code, as people say it ("1 800"), never as "plus 1". Words are
    lower case because Polly may read a capitalized short word as an abbreviation (US, IT, OR).
    """
    groups = [g for g in v.text.replace(" ", "-").split("-") if g]
    if len(groups) > 1 and groups[0] in ("1", "+1") and groups[1].isdigit():
        groups[:2] = ["1" + groups[1]]
    said: list[str] = []
    for group in groups:
        if group.startswith("+"):
            said.append("plus " + " ".join(group[1:]))
        elif group.isdigit():
            said.append(" ".join(group))
        else:
            said.append(group.lower())
    return ", ".join(said)


def _k_best(phone: PhoneNumber, index: VanityIndex, k: int) -> list[Parse]:
    """The k best parses of `phone.search` (exact under the additive score), best first."""
    digits = phone.search
    n = len(digits)
    split = phone.split
    # after_word[i] / after_run[i]: the best completions of digits[i:], when the segment before position i
    # is a word (or i is the start) / a digit run (so the next segment must be a word)
    after_word: list[list[Parse]] = [[] for _ in range(n + 1)]
    after_run: list[list[Parse]] = [[] for _ in range(n + 1)]
    after_word[n] = after_run[n] = [(0, ())]

    for i in range(n - 1, -1, -1):
        word_sources: list[tuple[int, Segment, list[Parse]]] = []
        for j in range(i + 2, min(n, i + 10) + 1):
            tails = after_word[j]
            if not tails:
                continue
            entries = index.lookup(digits[i:j])
            if not entries:
                continue
            length = j - i
            base = LETTER * length - WORD - (SHORT_WORD if length == 2 else 0)
            if j == n:
                base += ENDS_WITH_WORD
            elif j == split:
                base += STRUCTURE
            for word, centi_zipf in entries:
                gain = base + FREQ_PER_LETTER * length * max(0, centi_zipf - FREQ_FLOOR)
                word_sources.append((gain, (i, j, word), tails))
        after_run[i] = _merge(word_sources, k)

        run_sources: list[tuple[int, Segment, list[Parse]]] = []
        for j in range(i + 1, n + 1):
            tails = after_run[j]
            if not tails:
                continue
            gain = -RUN - (SANDWICHED_RUN if i > 0 and j < n else 0) + (STRUCTURE if j == split else 0)
            run_sources.append((gain, (i, j, None), tails))
        after_word[i] = _merge(word_sources + run_sources, k)
    return after_word[0]


def _merge(sources: Sequence[tuple[int, Segment, list[Parse]]], k: int) -> list[Parse]:
    """The k best of `gain + tail` over all sources, each source's tails already sorted best first."""
    heap = [(-(gain + tails[0][0]), s, 0) for s, (gain, _, tails) in enumerate(sources)]
    heapq.heapify(heap)
    out: list[Parse] = []
    while heap and len(out) < k:
        neg, s, r = heapq.heappop(heap)
        gain, segment, tails = sources[s]
        out.append((-neg, (segment, *tails[r][1])))
        if r + 1 < len(tails):
            heapq.heappush(heap, (-(gain + tails[r + 1][0]), s, r + 1))
    return out


@dataclass(frozen=True)
class _Candidate:
    score: int
    text: str
    words: tuple[str, ...]
    letters: int


def _pool(phone: PhoneNumber, index: VanityIndex, parses: list[Parse]) -> list[_Candidate]:
    """Parses with at least one word and no blocked join, rendered, deduplicated, best first."""
    rendered: dict[str, _Candidate] = {}
    for score, segments in parses:
        if all(word is None for _, _, word in segments) or _blocked_join(segments, index):
            continue
        cand = _render(phone, score, segments)
        key = cand.text.replace("-", "")
        # GOT-JUNK and a one-word GOTJUNK read the same: keep the better-scored spelling
        kept = rendered.get(key)
        if kept is None or (cand.score, kept.text) > (kept.score, cand.text):
            rendered[key] = cand
    return sorted(rendered.values(), key=lambda c: (-c.score, c.text))


def _blocked_join(segments: tuple[Segment, ...], index: VanityIndex) -> bool:
    """Whether adjacent words join into a blocked word across a boundary (each word alone is already clean)."""
    if not index.blocked:
        return False
    group: list[str] = []
    for _, _, word in (*segments, (0, 0, None)):
        if word is not None:
            group.append(word.lower())
            continue
        if len(group) > 1:
            joined = "".join(group)
            bounds: list[int] = []
            for w in group[:-1]:
                bounds.append((bounds[-1] if bounds else 0) + len(w))
            for a in range(len(joined)):
                for b in range(a + CROSS_BLOCK_MIN, len(joined) + 1):
                    if any(a < cut < b for cut in bounds) and joined[a:b] in index.blocked:
                        return True
        group = []
    return False


def _render(phone: PhoneNumber, score: int, segments: tuple[Segment, ...]) -> _Candidate:
    parts = phone.display_prefix()
    words: list[str] = []
    letters = 0
    for i, j, word in segments:
        if word is not None:
            parts.append(word)
            words.append(word)
            letters += j - i
        elif phone.split is not None and i + 2 <= phone.split <= j - 2:
            # keep the exchange/line grouping people know (1-800-468-58-AT, not 1-800-46858-AT), unless
            # that leaves a lone digit (MY-11-UNA reads better than MY-1-1-UNA)
            parts.extend((phone.search[i : phone.split], phone.search[phone.split : j]))
        else:
            parts.append(phone.search[i:j])
    return _Candidate(score, "-".join(parts), tuple(words), letters)


def _select(phone: PhoneNumber, pool: list[_Candidate], count: int) -> list[Vanity]:
    """Greedy picks by score minus a penalty per word already used by a pick (pool order breaks ties)."""
    remaining = list(pool)
    used: set[str] = set()
    picked: list[Vanity] = []
    while remaining and len(picked) < count:
        best_at, best_score = -1, 0
        for at, cand in enumerate(remaining):
            adjusted = cand.score - REPEATED_WORD * sum(1 for w in cand.words if w in used)
            if best_at < 0 or adjusted > best_score:
                best_at, best_score = at, adjusted
            # the pool is sorted by raw score and a penalty only lowers it: nothing further on can win
            if cand.score <= best_score:
                break
        cand = remaining.pop(best_at)
        used.update(cand.words)
        picked.append(Vanity(cand.text, phone.digits, cand.words, best_score / 1000, cand.letters))
    return picked


def _plain(phone: PhoneNumber, needed: int) -> list[Vanity]:
    """`needed` distinct plain renderings of the number, in a fixed order (see "Filling" above)."""
    n = len(phone.search)
    groupings = _groupings(n)
    first: list[tuple[int, ...]] = []
    if phone.split is not None and 0 < phone.split < n:
        first.append((phone.split, n - phone.split))
    first.append((n,))
    ordered = first + [g for g in groupings if g not in first]
    if phone.kind == "local":
        styles: list[tuple[str, bool | None]] = [("-", None), (" ", None)]
    else:
        styles = [("-", phone.plus), ("-", not phone.plus), (" ", phone.plus), (" ", not phone.plus)]

    out: list[Vanity] = []
    seen: set[str] = set()
    for sizes in ordered:
        chunks: list[str] = []
        at = 0
        for size in sizes:
            chunks.append(phone.search[at : at + size])
            at += size
        for sep, plus in styles:
            text = sep.join([*phone.display_prefix(plus=plus), *chunks])
            if text in seen:  # one group and no prefix reads the same with either separator
                continue
            seen.add(text)
            out.append(Vanity(text, phone.digits, (), 0.0, 0))
            if len(out) == needed:
                return out
    raise AssertionError("fewer plain renderings than MAX_COUNT")  # unreachable: >= 4 digits give >= 16


def _groupings(n: int) -> list[tuple[int, ...]]:
    """Every way to cut n digits into consecutive groups, fewest groups first, then by group sizes."""
    out: list[tuple[int, ...]] = []
    for mask in range(1 << (n - 1)):
        sizes: list[int] = []
        run = 1
        for bit in range(n - 1):
            if mask >> bit & 1:
                sizes.append(run)
                run = 1
            else:
                run += 1
        sizes.append(run)
        out.append(tuple(sizes))
    return sorted(out, key=lambda s: (len(s), s))
