"""The vanity engine on small injected dictionaries: exact results, ranking, filling, blocklist, speech."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.phone.vanity import InvalidNumber, Vanity, VanityIndex, spell_back, spoken, vanity_numbers

REPO = Path(__file__).resolve().parents[3]


def index(words: dict[str, float], blocklist: tuple[str, ...] = ()) -> VanityIndex:
    return VanityIndex.from_words(words, blocklist=blocklist)


def texts(results: list[Vanity]) -> list[str]:
    return [v.text for v in results]


# Scores below are worked out by hand from the formula in shared/phone/vanity/engine.py's docstring, e.g.
# GOT (3 letters, zipf 5.9, ends on the exchange/line boundary): 30 - 8 + 0.5*3*3.9 + 1.5 = 29.35
# JUNK (4 letters, zipf 4.0, ends the number):                    40 - 8 + 0.5*4*2.0 + 1   = 37.0


def test_words_partials_then_digits_exact() -> None:
    idx = index({"got": 5.9, "hot": 5.2, "junk": 4.0})
    results = vanity_numbers("+18004685865", 7, index=idx)
    assert texts(results) == [
        "1-800-GOT-JUNK",  # 29.35 + 37
        "1-800-HOT-JUNK",  # 28.3 + 37 - 3 (JUNK already used)
        "1-800-468-JUNK",  # (-1 run + 1.5 boundary) + 37 - 3
        "1-800-GOT-5865",  # 29.35 - 1 - 3
        "1-800-HOT-5865",  # 28.3 - 1 - 3
        "1-800-468-5865",  # no more words: the plain number, then with +
        "+1-800-468-5865",
    ]
    assert [v.score for v in results] == [66.35, 62.3, 34.5, 25.35, 24.3, 0.0, 0.0]
    assert [v.words for v in results[:3]] == [("GOT", "JUNK"), ("HOT", "JUNK"), ("JUNK",)]
    assert [v.letters for v in results] == [7, 7, 4, 3, 3, 0, 0]
    assert {v.digits for v in results} == {"18004685865"}


def test_repeated_words_are_penalized_for_variety() -> None:
    # raw: SET-ODDS 66.3, SET-MEDS 65.1, PET-ODDS 64.2, PET-MEDS 63.0; each reused word costs 3
    idx = index({"set": 5.6, "pet": 4.2, "odds": 4.2, "meds": 3.6})
    results = vanity_numbers("+18007386337", 4, index=idx)
    assert texts(results) == ["1-800-SET-ODDS", "1-800-PET-MEDS", "1-800-SET-MEDS", "1-800-PET-ODDS"]
    assert [v.score for v in results] == [66.3, 63.0, 59.1, 58.2]


def test_one_long_word_beats_two_short_common_ones() -> None:
    # PAINTER: 70 - 8 + 0.5*7*1.5 + 1 = 68.25; RAG-OVER: (30-8+0.5*3*1.5+1.5) + (40-8+0.5*4*4+1) = 66.75
    idx = index({"painter": 3.5, "rag": 3.5, "over": 6.0})
    assert texts(vanity_numbers("+18007246837", 2, index=idx)) == ["1-800-PAINTER", "1-800-RAG-OVER"]


def test_a_common_pair_beats_a_rare_long_word() -> None:
    idx = index({"got": 5.9, "junk": 4.0, "gotjunk": 2.0})
    # GOTJUNK: 70 - 8 + 0 + 1 = 63; GOT-JUNK 66.35. Same letters, so only the better spelling is kept.
    results = vanity_numbers("+18004685865", 2, index=idx)
    assert texts(results) == ["1-800-GOT-JUNK", "1-800-468-JUNK"]


def test_same_letters_different_split_is_one_result() -> None:
    idx = index({"got": 5.9, "junk": 4.0, "gotjunk": 4.0})
    # GOTJUNK: 70 - 8 + 0.5*7*2 + 1 = 70 beats GOT-JUNK (66.35), which is then a duplicate
    results = vanity_numbers("+18004685865", 3, index=idx)
    assert texts(results) == ["1-800-GOTJUNK", "1-800-468-JUNK", "1-800-GOT-5865"]


def test_kept_digits_after_a_word() -> None:
    idx = index({"call": 5.5})
    results = vanity_numbers("+15552255123", 2, index=idx)
    # CALL over 2255 then 123 kept: 40 - 8 + 0.5*4*3.5 - 1 = 38
    assert results[0] == Vanity("1-555-CALL-123", "15552255123", ("CALL",), 38.0, 4)
    assert results[1].text == "1-555-225-5123"


def test_word_at_the_line_number() -> None:
    idx = index({"call": 5.5})
    results = vanity_numbers("2125552255", 1, index=idx)
    assert results == [Vanity("1-212-555-CALL", "12125552255", ("CALL",), 40.5, 4)]


def test_digits_between_words_are_penalized() -> None:
    # GO-8-JUNK: GO (20-8-4+0.5*2*2) + sandwiched run ending on the boundary (-1-2+1.5) + JUNK 37 = 45.5;
    # 468-JUNK: 37.5 - 3 (JUNK reused) = 34.5
    idx = index({"go": 4.0, "junk": 4.0})
    results = vanity_numbers("+18004685865", 2, index=idx)
    assert [(v.text, v.score) for v in results] == [("1-800-GO-8-JUNK", 45.5), ("1-800-468-JUNK", 34.5)]


def test_zeros_and_ones_fall_back_to_groupings() -> None:
    results = vanity_numbers("+18001000111", 6, index=index({"got": 5.0}))
    assert texts(results) == [
        "1-800-100-0111",
        "+1-800-100-0111",
        "1 800 100 0111",
        "+1 800 100 0111",
        "1-800-1000111",
        "+1-800-1000111",
    ]
    assert all(v.words == () and v.score == 0.0 and v.letters == 0 for v in results)


def test_fallback_still_fills_twenty() -> None:
    results = vanity_numbers("+18000000000", 20, index=index({}))
    assert len({v.text for v in results}) == 20
    assert {spell_back(v.text) for v in results} == {"18000000000"}


def test_local_number_fallback_has_no_duplicate_groupings() -> None:
    results = vanity_numbers("1001001", 3, index=index({}))
    # one group reads the same with either separator, so it appears once
    assert texts(results) == ["100-1001", "100 1001", "1001001"]


def test_international_number_keeps_country_and_leading_national_digits() -> None:
    results = vanity_numbers("+44 20 7946 2255", 1, index=index({"call": 5.5}))
    assert results[0].text == "+44-207-946-CALL"
    assert results[0].digits == "442079462255"
    assert spell_back(results[0].text) == "442079462255"


def test_blocklisted_word_never_appears() -> None:
    idx = index({"hell": 6.0, "junk": 4.0, "got": 5.9}, blocklist=("hell",))
    assert idx.lookup("4355") == ()
    assert idx.lookup("5865") == (("JUNK", 400),)
    results = vanity_numbers("+18004684355", 10, index=idx)  # 468-4355 would be GOT-HELL
    assert all("HELL" not in v.words for v in results)
    assert results[0].text == "1-800-GOT-4355"


def test_packaged_blocklist_applies_to_injected_words() -> None:
    idx = VanityIndex.from_words({"damn": 6.0, "junk": 4.0})
    assert idx.is_blocked("DAMN")
    assert idx.lookup("3266") == ()
    results = vanity_numbers("+18004683266", 5, index=idx)  # 468-3266: DAMN at the line number
    assert all("DAMN" not in v.text for v in results)


def test_blocked_word_across_a_word_boundary() -> None:
    # PEN + IS spells a blocked word across the boundary: that pair is dropped, each word alone is fine
    idx = index({"pen": 4.5, "is": 7.0}, blocklist=("penis",))
    results = vanity_numbers("+12122273647", 5, index=idx)
    assert all("PENIS" not in v.text.replace("-", "") for v in results)
    assert "1-212-22-PEN-47" in texts(results)


def test_short_blocked_strings_across_boundaries_are_allowed() -> None:
    # HAS-SETS contains "ass" across the boundary; 3-letter strings are not checked there (see engine)
    idx = index({"has": 5.0, "sets": 5.0}, blocklist=("ass",))
    assert vanity_numbers("+12124277387", 1, index=idx)[0].text == "1-212-HAS-SETS"


def test_deterministic_and_independent_of_hash_seed() -> None:
    code = (
        "import json; from shared.phone.vanity import vanity_numbers;"
        "print(json.dumps([[v.text, v.score] for n in ('+18007386337', '+15084462819', '+12125552255')"
        " for v in vanity_numbers(n, 10)]))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    in_process = [
        [v.text, v.score] for n in ("+18007386337", "+15084462819", "+12125552255") for v in vanity_numbers(n, 10)
    ]
    assert in_process == outputs[0]


def test_count_is_validated() -> None:
    with pytest.raises(ValueError, match="count"):
        vanity_numbers("+18004685865", 0)
    with pytest.raises(ValueError, match="count"):
        vanity_numbers("+18004685865", 21)


@pytest.mark.parametrize("bad", ["anonymous", "", "1-800-FLOWERS", "12345"])
def test_invalid_numbers_raise_before_searching(bad: str) -> None:
    with pytest.raises(InvalidNumber):
        vanity_numbers(bad, index=index({"got": 5.0}))


def test_from_words_rejects_non_words() -> None:
    for bad in ("a", "it's", "abcdefghijk", "café"):
        with pytest.raises(ValueError, match="letters"):
            VanityIndex.from_words({bad: 3.0}, blocklist=())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-800-GOT-JUNK", "1 8 0 0, got, junk"),
        ("1-555-CALL-123", "1 5 5 5, call, 1 2 3"),
        ("1-800-468-5865", "1 8 0 0, 4 6 8, 5 8 6 5"),
        ("+1 800 468 5865", "1 8 0 0, 4 6 8, 5 8 6 5"),
        ("+44-207-946-CALL", "plus 4 4, 2 0 7, 9 4 6, call"),
        ("555-CALL", "5 5 5, call"),
    ],
)
def test_spoken_form(text: str, expected: str) -> None:
    assert spoken(Vanity(text, spell_back(text), (), 0.0, 0)) == expected


def test_spoken_form_of_a_real_result() -> None:
    best = vanity_numbers("+18004685865", 1, index=index({"got": 5.9, "junk": 4.0}))[0]
    assert spoken(best) == "1 8 0 0, got, junk"


def test_search_goes_deeper_when_the_best_parses_are_all_blocked() -> None:
    # every pair of adjacent two-letter words joins into a blocked 4-letter string, so the best few hundred
    # parses are dropped and the results come from deeper in the search, not from the plain-number filler
    letters = "abc"
    words = {a + b: 5.0 for a in letters for b in letters}
    blocked = tuple(a + b + c + d for a in letters for b in letters for c in letters for d in letters)
    results = vanity_numbers("+12122222222", 3, index=index(words, blocked))
    # 2-AA-22-AA: -1 run + 2 * (20 - 8 - 4 + 0.5*2*3) - 3 sandwiched run + 1.5 boundary + 1 ends with a word
    assert [(v.text, v.score) for v in results] == [
        ("1-212-2-AA-22-AA", 20.5),
        ("1-212-2-AB-22-AB", 20.5),
        ("1-212-2-AC-22-AC", 20.5),
    ]


def test_a_stale_index_still_obeys_the_blocklist() -> None:
    # an artifact built before a word was blocked still lists it: the lookup drops it
    stale = VanityIndex({"4355": "hell 600 gekk 200", "468": "got 590"}, frozenset({"hell"}), source="stale")
    assert stale.lookup("4355") == (("GEKK", 200),)
    assert [v.text for v in vanity_numbers("+18004684355", 1, index=stale)] == ["1-800-GOT-GEKK"]
