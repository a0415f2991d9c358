"""Benchmark of the rules-first standardization path: rows per second on one core.

Generates 100,000 messy rows (seeded): eight header layouts from real export formats, names in
any casing, phone numbers of five countries in many formats, some invalid emails and phones,
some `"Name" <email>` cells. Times `standardize_row` over them in this one process and prints
one JSON object. `--profile` also prints the hottest functions to stderr.

    .venv/bin/python bench/rules_bench.py [--rows N] [--seed S] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.enrichment.standardize import standardize_row

FIRST = ["ana", "maria", "jean-luc", "sean", "john", "élodie", "jürgen", "siobhan", "maría josé", "ludwig", "wei"]
FIRST += ["priya", "oluwaseun", "mack", "li", "o'neil", "mary-kate", "françois", "dmitri", "aiko", "zoë", "giulia"]
LAST = ["lima", "mcdonald", "macleod", "mack", "o'neil", "d'angelo", "van der berg", "de la cruz", "smith-jones"]
LAST += ["garcía", "müller", "von der heide", "nguyen", "okafor", "rossi", "dubois", "bin rashid", "kowalski", "silva"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises", "Hooli", "Vandelay"]
COMPANIES += ["Heide GmbH", "Zylker", "Lima Associados", "Berg BV", "Contoso", "Northwind", "Fabrikam", "Tailspin"]
FREE = ["gmail.com", "yahoo.co.uk", "hotmail.fr", "outlook.com", "gmx.de", "icloud.com", "web.de", "uol.com.br"]
TLDS = ["com", "co.uk", "de", "fr", "com.br", "io", "nl", "es"]
US_AREAS = ["212", "415", "646", "312", "617", "202", "305", "512", "206", "303", "713", "404"]
INVALID_EMAILS = ["bob@", "ana@@x.com", "no-at-sign.com", "a..b@x.com", "x@y", "name at company dot com"]
INVALID_PHONES = ["12345", "555-0000", "n/a", "000", "+999 1234"]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _phone(rng: random.Random) -> tuple[str, str]:
    """A phone cell in some format, and the country cell that goes with it ("" for none)."""
    kind = rng.random()
    if kind < 0.55:
        area, exchange, line = rng.choice(US_AREAS), rng.choice("23456789") + _digits(rng, 2), _digits(rng, 4)
        cell = rng.choice(
            [
                f"({area}) {exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"+1 {area} {exchange} {line}",
                f"{area}{exchange}{line}",
                f"1-{area}-{exchange}-{line}",
                f"{area}-{exchange}-{line} x{_digits(rng, 3)}",
            ]
        )
        return cell, rng.choice(["", "", "USA", "United States", "US", "us"])
    if kind < 0.67:
        rest = "7946 " + _digits(rng, 4)
        cell = rng.choice([f"+44 20 {rest}", f"020 {rest}", f"0044 20 {rest}"])
        return cell, rng.choice(["UK", "United Kingdom", "GB", ""])
    if kind < 0.79:
        mobile = "151 " + _digits(rng, 8)
        cell = rng.choice([f"+49 {mobile}", f"0{mobile}", f"0049 {mobile}", "030 " + _digits(rng, 7)])
        return cell, rng.choice(["Deutschland", "Germany", "DE", ""])
    if kind < 0.87:
        pairs = " ".join(_digits(rng, 2) for _ in range(3))
        return rng.choice([f"06 12 {pairs}", f"+33 6 12 {pairs}"]), rng.choice(["France", "FR", ""])
    if kind < 0.95:
        return f"(11) 9{_digits(rng, 4)}-{_digits(rng, 4)}", rng.choice(["Brasil", "Brazil", "BR"])
    return rng.choice(INVALID_PHONES), ""


def _casing(rng: random.Random, text: str) -> str:
    roll = rng.random()
    return text.upper() if roll < 0.2 else text.title() if roll < 0.5 else text


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "").replace(" ", "")


def _person(rng: random.Random) -> dict[str, str]:
    first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
    if rng.random() < 0.4:
        domain = rng.choice(FREE)
    else:
        domain = _ascii(company).lower() + "." + rng.choice(TLDS)
    email = f"{_ascii(first)}.{_ascii(last)}{rng.randrange(10_000)}@{domain}"
    if rng.random() < 0.3:
        email = email.upper() if rng.random() < 0.5 else email.title()
    if rng.random() < 0.06:
        email = rng.choice(INVALID_EMAILS)
    phone, country = _phone(rng)
    return {
        "first": _casing(rng, first),
        "last": _casing(rng, last),
        "email": email if rng.random() > 0.05 else "",
        "phone": phone if rng.random() > 0.1 else "",
        "country": country,
        "company": company if rng.random() > 0.3 else "",
        "title": rng.choice(["CEO", "VP Sales", "Buyer", "Head of Growth", "", "Engineer"]),
    }


def _full(p: dict[str, str], rng: random.Random) -> str:
    return f"{p['last']}, {p['first']}" if rng.random() < 0.2 else f"{p['first']} {p['last']}"


Layout = Callable[[dict[str, str], random.Random], dict[str, str]]
LAYOUTS: list[Layout] = [
    lambda p, r: {  # Salesforce leads report
        "First Name": p["first"], "Last Name": p["last"], "Title": p["title"], "Company / Account": p["company"],
        "Email": p["email"], "Phone": p["phone"], "Mobile": "", "Lead Source": "Web", "Country": p["country"],
        "Create Date": "2024-05-01",
    },
    lambda p, r: {  # HubSpot contacts
        "Record ID": str(r.randrange(10**6)), "First Name": p["first"], "Last Name": p["last"], "Email": p["email"],
        "Phone Number": p["phone"], "Company Name": p["company"], "Job Title": p["title"],
        "Country/Region": p["country"], "Lifecycle Stage": "lead",
    },
    lambda p, r: {  # Google Contacts (legacy)
        "Name": _full(p, r), "Given Name": "", "Family Name": "", "E-mail 1 - Type": "* Work",
        "E-mail 1 - Value": p["email"], "Phone 1 - Type": "Mobile", "Phone 1 - Value": p["phone"],
        "Organization 1 - Name": p["company"], "Organization 1 - Title": p["title"],
        "Address 1 - Country": p["country"],
    },
    lambda p, r: {  # Pipedrive persons
        "Person - Name": _full(p, r), "Person - Organization": p["company"], "Person - Email - Work": p["email"],
        "Person - Phone - Work": "", "Person - Phone - Mobile": p["phone"], "Person - Owner": "Jo",
    },
    lambda p, r: {  # German template
        "Vorname": p["first"], "Nachname": p["last"], "Firma": p["company"], "Position": p["title"],
        "E-Mail": p["email"], "Telefon": p["phone"], "Land": p["country"],
    },
    lambda p, r: {  # Hand-made spreadsheet
        "Name": _full(p, r), "Email": p["email"], "Phone": p["phone"], "Company": p["company"],
        "Country": p["country"], "Notes": r.choice(["", "met at expo", "call back in May"]),
    },
    lambda p, r: {  # "Name <email>" contact cells
        "Contact": f'"{p["first"]} {p["last"]}" <{p["email"]}>' if p["email"] else _full(p, r),
        "Tel": p["phone"], "Notes": "",
    },
    lambda p, r: {  # snake_case dump
        "id": str(r.randrange(10**6)), "first_name": p["first"], "last_name": p["last"], "email_address": p["email"],
        "phone_number": p["phone"], "company_name": p["company"], "job_title": p["title"], "country_code": p["country"],
    },
]  # fmt: skip


def generate(rows: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [rng.choice(LAYOUTS)(_person(rng), rng) for _ in range(rows)]


def run(rows: list[dict[str, str]]) -> dict[str, float | int]:
    rejected = problems = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    for row in rows:
        result = standardize_row(row, default_region="US")
        rejected += result.rejected is not None
        problems += len(result.problems)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    return {
        "rows": len(rows),
        "seconds": round(seconds, 3),
        "rows_per_second": round(len(rows) / seconds),
        # CPU time of this process alone: steadier than the wall clock on a shared machine.
        "cpu_seconds": round(cpu_seconds, 3),
        "rows_per_cpu_second": round(len(rows) / cpu_seconds),
        "rejected": rejected,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the hottest functions to stderr")
    args = parser.parse_args()
    rows = generate(args.rows, args.seed)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        report = run(rows)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
        print(stream.getvalue(), file=sys.stderr)
    else:
        report = run(rows)
    print(json.dumps({"benchmark": "rules_standardize_row", "layouts": len(LAYOUTS), "seed": args.seed, **report}))


if __name__ == "__main__":
    main()
