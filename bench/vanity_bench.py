"""Measure the vanity engine and print one JSON object: artifact size, cold load, per-number time, coverage.

Not a test: it only measures. Run from the repo root: `.venv/bin/python bench/vanity_bench.py`.

- index artifact bytes (the word index + the blocklist that ship in `shared/phone/vanity/`)
- cold load: median over fresh interpreter processes of `import shared.phone.vanity` + `VanityIndex.load()`,
  and the two apart (and of the whole process, interpreter start included)
- p50 / p99 / max ms per number over seeded random NANP numbers (NXX-NXX-XXXX), after the index is loaded
- word coverage: the share of the 7 subscriber digits that the best result turns into words, on average,
  and how often the best result covers all 7 / at least one digit
- the famous advertised numbers found in the top 5, with their rank
- the seed's approach on a sample, in the same run: every letter permutation of the 10 national digits,
  kept when the whole permutation is a word of the same vocabulary, otherwise padded with random
  permutations (so its coverage is the share of numbers where a 10-letter word fits)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from shared.phone.vanity import VanityIndex, vanity_numbers
from shared.phone.vanity.index import ARTIFACT, BLOCKLIST
from shared.phone.vanity.keypad import KEYPAD_LETTERS

REPO = Path(__file__).resolve().parent.parent

FAMOUS = {
    "1-800-FLOWERS": ("+18003569377", ("FLOWERS",)),
    "1-800-GOT-JUNK": ("+18004685865", ("GOT", "JUNK")),
    "1-800-CONTACTS": ("+18002668228", ("CONTACT",)),  # the 11th letter is not dialled
    "1-800-PETMEDS": ("+18007386337", ("PET", "MEDS")),
    "1-800-DENTIST": ("+18003368478", ("DENTIST",)),
    "1-800-HOLIDAY": ("+18004654329", ("HOLIDAY",)),
    "1-800-PAINTER": ("+18007246837", ("PAINTER",)),
}

_COLD = (
    "import time; t0 = time.perf_counter(); import shared.phone.vanity; t1 = time.perf_counter(); "
    "shared.phone.vanity.VanityIndex.load(); t2 = time.perf_counter(); print((t1 - t0) * 1000, (t2 - t1) * 1000)"
)


def random_nanp(rng: random.Random) -> str:
    area = f"{rng.randint(2, 9)}{rng.randint(0, 99):02d}"
    exchange = f"{rng.randint(2, 9)}{rng.randint(0, 99):02d}"
    return f"+1{area}{exchange}{rng.randint(0, 9999):04d}"


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def cold_load(runs: int) -> dict[str, float]:
    imports: list[float] = []
    loads: list[float] = []
    whole: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _COLD], cwd=REPO, capture_output=True, text=True, check=True)
        whole.append((time.perf_counter() - started) * 1000)
        import_ms, load_ms = (float(x) for x in done.stdout.split())
        imports.append(import_ms)
        loads.append(load_ms)
    return {
        # import + load is what a cold start adds; the interpreter's own start is counted separately
        "cold_load_ms_median": round(statistics.median(i + lo for i, lo in zip(imports, loads, strict=True)), 2),
        "cold_import_ms_median": round(statistics.median(imports), 2),
        "cold_index_load_ms_median": round(statistics.median(loads), 2),
        "cold_process_ms_median": round(statistics.median(whole), 2),
    }


def engine_figures(numbers: list[str]) -> dict[str, float | int]:
    VanityIndex.load()
    timings: list[float] = []
    covered: list[int] = []
    for number in numbers:
        started = time.perf_counter()
        results = vanity_numbers(number)
        timings.append((time.perf_counter() - started) * 1000)
        covered.append(results[0].letters)
    timings.sort()
    return {
        "numbers": len(numbers),
        "p50_ms": round(percentile(timings, 0.50), 4),
        "p99_ms": round(percentile(timings, 0.99), 4),
        "max_ms": round(timings[-1], 4),
        "mean_subscriber_digits_covered_share": round(statistics.fmean(c / 7 for c in covered), 4),
        "mean_national_digits_covered_share": round(statistics.fmean(c / 10 for c in covered), 4),
        "best_covers_all_7_share": round(sum(c == 7 for c in covered) / len(covered), 4),
        "best_has_a_word_share": round(sum(c > 0 for c in covered) / len(covered), 4),
    }


def famous_figures() -> dict[str, object]:
    ranks: dict[str, int | None] = {}
    for name, (number, words) in FAMOUS.items():
        found = [i for i, v in enumerate(vanity_numbers(number), start=1) if v.words == words]
        ranks[name] = found[0] if found else None
    return {
        "famous_found_in_top5": sum(r is not None for r in ranks.values()),
        "famous_total": len(FAMOUS),
        "famous_ranks": ranks,
    }


def seed_approach(national: str, vocabulary: set[str], rng: random.Random, count: int = 5) -> tuple[list[str], int]:
    """The seed's algorithm: all permutations, whole-word matches, random permutations as padding."""
    permutations: list[str] = []

    def expand(i: int, prefix: str) -> None:
        if i == len(national):
            permutations.append(prefix)
            return
        for letter in KEYPAD_LETTERS.get(national[i], national[i]):
            expand(i + 1, prefix + letter)

    expand(0, "")
    matches = sorted(p for p in permutations if p.lower() in vocabulary)[:count]
    rest = [p for p in permutations if p not in matches]
    padding = sorted(rng.sample(rest, min(len(rest), count - len(matches))))
    letters = len(national) if matches else 0
    return matches + padding, letters


def seed_figures(numbers: list[str], rng: random.Random) -> dict[str, float | int]:
    vocabulary = set(VanityIndex.load().words())
    timings: list[float] = []
    covered: list[int] = []
    for number in numbers:
        started = time.perf_counter()
        _, letters = seed_approach(number[2:], vocabulary, rng)
        timings.append((time.perf_counter() - started) * 1000)
        covered.append(letters)
    timings.sort()
    return {
        "seed_numbers": len(numbers),
        "seed_p50_ms": round(percentile(timings, 0.50), 1),
        "seed_p99_ms": round(percentile(timings, 0.99), 1),
        "seed_mean_national_digits_covered_share": round(statistics.fmean(c / 10 for c in covered), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the vanity engine; prints one JSON object.")
    parser.add_argument("--numbers", type=int, default=2000, help="random NANP numbers to time")
    parser.add_argument("--rng-seed", type=int, default=6)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--seed-sample", type=int, default=200, help="numbers for the seed's approach (0: skip)")
    args = parser.parse_args(argv)

    rng = random.Random(args.rng_seed)
    numbers = [random_nanp(rng) for _ in range(args.numbers)]
    index_bytes = ARTIFACT.stat().st_size
    blocklist_bytes = BLOCKLIST.stat().st_size
    out: dict[str, object] = {
        "artifact_bytes": index_bytes + blocklist_bytes,
        "index_bytes": index_bytes,
        "blocklist_bytes": blocklist_bytes,
        **cold_load(args.cold_runs),
        "index_digit_strings": len(VanityIndex.load()),
        **engine_figures(numbers),
        **famous_figures(),
    }
    if args.seed_sample:
        out.update(seed_figures(numbers[: args.seed_sample], rng))
    out["python"] = sys.version.split()[0]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
