"""Benchmark the clock: deadlines (`add`) and open time (`elapsed`) per second.

Calendar: Mon–Fri 09:00–18:00 Europe/Istanbul with Turkish public holidays (half days
close at 13:00). 10 000 deadlines from random instants over two years with random
durations up to 72 business hours, and 10 000 `elapsed` calls between random instants.
The same questions are answered by a naive implementation that walks day by day (kept
here as the reference, not in the package); the results must agree.

    python benchmarks/clock.py [--calls 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import write_section  # noqa: E402

from supportdesk.clock import (  # noqa: E402
    Calendar,
    CalendarSpec,
    HolidayRule,
    parse_days,
    parse_hours,
)
from supportdesk.timetext import local_to_utc  # noqa: E402


def istanbul_spec() -> CalendarSpec:
    week = [()] * 7
    for day in parse_days("mon-fri"):
        week[day] = parse_hours("09:00-18:00")
    return CalendarSpec("office", "Europe/Istanbul", tuple(week), HolidayRule("TR"), half_day_close=13 * 60)


class NaiveCalendar:
    """Walks local days one by one: the obvious implementation, for reference."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar  # only for its day_info (hours of a date)

    def _spans(self, day):
        midnight = datetime.combine(day, datetime.min.time())
        for hours in self.calendar.day_info(day).hours:
            start = local_to_utc(midnight + timedelta(minutes=hours.start), self.calendar.zone)
            end = local_to_utc(midnight + timedelta(minutes=hours.end), self.calendar.zone)
            yield start, end

    def add(self, start: datetime, duration: timedelta) -> datetime:
        left = duration
        day = start.astimezone(self.calendar.zone).date() - timedelta(days=1)
        while True:
            for a, b in self._spans(day):
                a = max(a, start)
                if b <= a:
                    continue
                if left < b - a:
                    return a + left
                left -= b - a
            day += timedelta(days=1)

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        total = timedelta(0)
        day = a.astimezone(self.calendar.zone).date() - timedelta(days=1)
        last = b.astimezone(self.calendar.zone).date()
        while day <= last:
            for s, e in self._spans(day):
                s, e = max(s, a), min(e, b)
                if e > s:
                    total += e - s
            day += timedelta(days=1)
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(42)

    started = time.perf_counter()
    import holidays  # the import (with its country registry) is paid once per process

    holidays.country_holidays("TR", years=[])
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    calendar = Calendar(istanbul_spec())
    calendar._build(2024, 2024)  # one year of spans, holidays loaded
    build_seconds = time.perf_counter() - started

    lo = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    span = 2 * 365 * 86400
    starts = [datetime.fromtimestamp(lo + rng.randrange(span), UTC) for _ in range(args.calls)]
    durations = [timedelta(seconds=rng.randrange(72 * 3600)) for _ in range(args.calls)]
    pairs = sorted(
        [
            tuple(sorted((datetime.fromtimestamp(lo + rng.randrange(span), UTC), datetime.fromtimestamp(lo + rng.randrange(span), UTC))))
            for _ in range(args.calls)
        ]
    )
    pairs = [(a, b) for a, b in pairs]

    calendar = Calendar(istanbul_spec())
    # Warm: spans for the years in use, computed once (the breakpoints of the method).
    calendar.elapsed(min(starts), max(starts) + timedelta(days=30))
    t = time.perf_counter()
    fast_adds = [calendar.add(s, d) for s, d in zip(starts, durations, strict=True)]
    add_rate = args.calls / (time.perf_counter() - t)
    t = time.perf_counter()
    fast_elapsed = [calendar.elapsed(a, b) for a, b in pairs]
    elapsed_rate = args.calls / (time.perf_counter() - t)

    naive = NaiveCalendar(calendar)
    sample = max(200, args.calls // 20)  # the naive walk is slow: time a sample
    t = time.perf_counter()
    naive_adds = [naive.add(s, d) for s, d in zip(starts[:sample], durations[:sample], strict=True)]
    naive_add_rate = sample / (time.perf_counter() - t)
    elapsed_sample = max(20, sample // 10)  # pairs span up to two years each
    t = time.perf_counter()
    naive_elapsed = [naive.elapsed(a, b) for a, b in pairs[:elapsed_sample]]
    naive_elapsed_rate = elapsed_sample / (time.perf_counter() - t)

    mismatches = sum(x != y for x, y in zip(fast_adds, naive_adds, strict=False))
    mismatches += sum(x != y for x, y in zip(fast_elapsed, naive_elapsed, strict=False))
    if mismatches:
        raise SystemExit(f"the fast and naive clocks disagree on {mismatches} answers")

    lines = [
        f"Mon–Fri 09–18 Europe/Istanbul with Turkish holidays; {args.calls:,} random calls over 2024–2025, "
        f"durations up to 72 business hours; {datetime.now(UTC):%Y-%m-%d}. Fast and naive answers agree.",
        "",
        "| what | calls/s | naive walk calls/s | ratio | budget |",
        "|---|---:|---:|---:|---:|",
        f"| `add` (deadline) | {add_rate:,.0f} | {naive_add_rate:,.0f} | {add_rate / naive_add_rate:,.0f}× | ≥ 100 000 {'ok' if add_rate >= 100_000 else 'UNDER'} |",
        f"| `elapsed` | {elapsed_rate:,.0f} | {naive_elapsed_rate:,.0f} | {elapsed_rate / naive_elapsed_rate:,.0f}× | ≥ 100 000 {'ok' if elapsed_rate >= 100_000 else 'UNDER'} |",
        "",
        f"Building the calendar for a year of holidays: {build_seconds * 1000:.1f} ms (budget 50 ms; "
        f"importing python-holidays, once per process, another {import_seconds * 1000:.0f} ms).",
    ]
    table = "\n".join(lines)
    print(table)
    write_section("clock", "Clock", table)


if __name__ == "__main__":
    main()
