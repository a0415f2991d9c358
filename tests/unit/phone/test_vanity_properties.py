"""Properties of every vanity result: it dials the caller's number, results are distinct, exactly `count`."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.phone.vanity import Vanity, VanityIndex, normalize_number, spell_back, vanity_numbers

digit = st.sampled_from("0123456789")
nanp = st.builds(
    lambda area, exchange: f"+1{area}{exchange}",
    st.text(digit, min_size=3, max_size=3),
    st.text(digit, min_size=7, max_size=7),
)
# country codes from each length class, national numbers of 4-12 digits (E.164 allows 15 in all)
international = st.builds(
    lambda cc, national: f"+{cc}{national}",
    st.sampled_from(["7", "44", "49", "61", "353", "354", "683", "971"]),
    st.text(digit, min_size=4, max_size=12),
)
local = st.text(st.sampled_from("0123456789"), min_size=7, max_size=7)
# keypads with few letters make collisions, shared prefixes and blocklist hits likely
words = st.dictionaries(
    st.text(st.sampled_from("adgjmptw"), min_size=2, max_size=7),
    st.floats(min_value=1.0, max_value=7.5, allow_nan=False),
    max_size=40,
)


def check(number: str, results: list[Vanity], count: int, index: VanityIndex) -> None:
    digits = normalize_number(number)
    assert len(results) == count
    assert len({v.text for v in results}) == count
    scores = [v.score for v in results]
    assert scores == sorted(scores, reverse=True)
    for v in results:
        assert spell_back(v.text) == digits
        assert v.digits == digits
        assert v.letters == sum(len(w) for w in v.words)
        assert all(not index.is_blocked(w) for w in v.words)
        assert all(w in v.text for w in v.words)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=st.one_of(nanp, international, local), count=st.integers(min_value=1, max_value=10))
def test_real_index_results_dial_the_number(number: str, count: int) -> None:
    index = VanityIndex.load()
    check(number, vanity_numbers(number, count, index=index), count, index)


@settings(max_examples=300, deadline=None)
@given(
    number=st.one_of(nanp, local),
    count=st.integers(min_value=1, max_value=20),
    vocabulary=words,
    blocked=st.lists(st.text(st.sampled_from("adgjmptw"), min_size=2, max_size=6), max_size=5),
)
def test_injected_index_results_dial_the_number(
    number: str, count: int, vocabulary: dict[str, float], blocked: list[str]
) -> None:
    index = VanityIndex.from_words(vocabulary, blocklist=blocked)
    results = vanity_numbers(number, count, index=index)
    check(number, results, count, index)
    for v in results:
        assert all(w.lower() not in blocked for w in v.words)
        assert not crosses_blocked(v.text, [b for b in blocked if len(b) >= 4])


def crosses_blocked(text: str, blocked: list[str]) -> bool:
    """Whether adjacent words in `text` join into a blocked string that spans a boundary between them."""
    runs: list[list[str]] = [[]]
    for group in text.split("-"):
        if group.isalpha():
            runs[-1].append(group.lower())
        else:
            runs.append([])
    for run in runs:
        joined = "".join(run)
        cuts = [sum(len(w) for w in run[: i + 1]) for i in range(len(run) - 1)]
        for b in blocked:
            start = joined.find(b)
            while start != -1:
                if any(start < cut < start + len(b) for cut in cuts):
                    return True
                start = joined.find(b, start + 1)
    return False


def test_crosses_blocked_oracle() -> None:
    assert crosses_blocked("1-212-22-PEN-IS", ["penis"])
    assert not crosses_blocked("1-212-22-PEN-47", ["penis"])
    assert not crosses_blocked("1-212-PENIS-47", ["penis"])  # inside one word: that word's own check


@settings(max_examples=100, deadline=None)
@given(number=nanp, count=st.integers(min_value=1, max_value=10))
def test_deterministic(number: str, count: int) -> None:
    assert vanity_numbers(number, count) == vanity_numbers(number, count)
