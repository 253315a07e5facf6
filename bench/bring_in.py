""" "Bring in a page" at size: proposals for a generated 50-footnote page, timed.

    DATABASE_URL=postgres://.../relata_bench .venv/bin/python bench/bring_in.py [--notes 50]

The page is written from the knowledge base's own records (its busiest pair of states, their
officials and organisations), in the seed's manner: sections, dated events, quotes, posts, a
loan "subsequently" agreed, "Despite …", "added that …". When the database holds no
officials, the seed fixture's reference records are loaded first, in a transaction rolled back
at the end (the database is left as it was). The target is under 2 seconds for 50 notes, cold
(the gazetteer built from the database) as well as warm; this prints the numbers, it asserts
nothing (not a timed test).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402 - after django.setup()
from django.db import transaction  # noqa: E402

from intake.propose import read_page  # noqa: E402
from relations.models import Country, Official, Organisation  # noqa: E402

TARGET_SECONDS = 2.0
MONTHS = ("January", "March", "May", "June", "September", "November")
SECTIONS = ("Nuclear", "Economic Relationship", "Diplomatic/Military Relationship", "Energy")


def _kb_ready() -> None:
    if not Official.objects.exists():
        from tests.intake.kb import load_reference

        load_reference()


def generate(notes: int) -> str:
    """A dossier page of ``notes`` footnoted sentences about the knowledge base's records."""
    officials = list(Official.objects.select_related("country").order_by("pk")[:40])
    organisations = list(Organisation.objects.order_by("pk")[:40])
    countries = [o.country for o in officials if o.country] or list(Country.objects.all()[:2])
    first = countries[0]
    second = next((c for c in countries if c != first), Country.objects.exclude(pk=first.pk)[0])
    lines = [
        "{{currentView.title}}",
        "July 06, 2012",
        f"{first.name}-{second.name} Foreign Relations",
    ]
    n = 0
    while n < notes:
        lines.append(f"{SECTIONS[(n // 6) % len(SECTIONS)]}:")
        sentences = []
        for _ in range(min(6, notes - n)):
            n += 1
            person = officials[n % len(officials)] if officials else None
            body = organisations[n % len(organisations)] if organisations else None
            who = f"President {person.name}" if person else first.name
            month, year = MONTHS[n % len(MONTHS)], 2000 + n % 12
            kind = n % 6
            if kind == 0:
                text = f"In {month} {year}, {who} met {second.name}’s delegation."
            elif kind == 1:
                text = f"According to {who}, “ties between the two countries grow in all fields.”"
            elif kind == 2:
                lender = body.name if body else second.name
                text = f"Subsequently, the {lender} agreed to lend ${n}m to {first.name} for oil."
            elif kind == 3:
                speaker = person.name.split()[-1] if person else first.name
                text = f"{speaker} added that energy ties would grow."
            elif kind == 4:
                text = (
                    f"Despite increasing censure from the United States, {first.name} and "
                    f"{second.name} signed a treaty on trade in late {month} {year}."
                )
            else:
                text = f"{first.name} and {second.name} have been forging ties in recent years."
            sentences.append(f"{text}[{n}]")
        lines.append(" ".join(sentences))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with transaction.atomic():
        _kb_ready()
        page_text = generate(args.notes)
        cache.clear()  # cold: the gazetteer is built from the database
        started = time.perf_counter()
        page = read_page(page_text)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(args.runs):
            started = time.perf_counter()
            read_page(page_text)
            warm.append(time.perf_counter() - started)
        transaction.set_rollback(True)
    print(
        f"page: {len(page.notes)} notes, {len(page_text)} characters, "
        f"{len(page.proposals)} proposals"
    )
    print(f"cold (gazetteer built): {cold:.3f} s")
    print(f"warm (median of {args.runs}): {statistics.median(warm):.3f} s")
    verdict = "within" if max(cold, statistics.median(warm)) < TARGET_SECONDS else "OVER"
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
