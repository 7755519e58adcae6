"""Normalising date expressions against the article's date (no spaCy here).

``normalise("January 31, 2026")`` gives ``[("2026-01-31", "date")]``; "March 2025" a
``gYearMonth``, "2022" a ``gYear``; weekdays, "last week", "last October" and dates
without a year are resolved against a reference date (the article's, or the last full
date the text gave) and dropped when there is none.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_M = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d|21\d\d)"
PATTERNS = [
    ("date", re.compile(rf"\b{_M}\s+{_DAY},?\s+{_YEAR}\b", re.I)),          # January 31, 2026
    ("date", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_M},?\s+{_YEAR}\b", re.I)),  # 31 January 2026
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")),
    ("gYearMonth", re.compile(rf"\b{_M},?\s+(?:of\s+)?{_YEAR}\b", re.I)),     # March 2025
    ("md", re.compile(rf"\b{_M}\s+{_DAY}\b(?!\s*,?\s*\d)", re.I)),          # December 2
    ("dm", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_M}\b(?!,?\s+\d{{4}})", re.I)),  # 2 January
    ("gYear", re.compile(r"(?<![\d-])" + _YEAR + r"(?![\d-])")),
]
_RELATIVE_MONTH = re.compile(rf"\b(?:last|this|past)\s+{_M}\b", re.I)
# a capitalised month name alone ("in March"), not the verbs "may" and "march"
_BARE_MONTH = re.compile(r"\b(?P<month>" + "|".join(n.capitalize() for n in MONTHS) + r")\b")
_WEEKDAY = re.compile(r"\b(?P<rel>last|this|past|on|next)?\s*(?P<wd>" + "|".join(WEEKDAYS) + r")\b", re.I)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def normalise(text: str, ref: date | None = None) -> list[tuple[str, str]]:
    """Date values in ``text`` as ``(lexical form, datatype)`` pairs, in order.

    >>> normalise("January 31, 2026")
    [('2026-01-31', 'date')]
    >>> normalise("the night of 31 December 2022/1 January 2023")
    [('2022-12-31', 'date'), ('2023-01-01', 'date')]
    >>> normalise("Saturday", date(2024, 11, 9))
    [('2024-11-09', 'date')]
    >>> normalise("last October", date(2023, 4, 12))
    [('2022-10', 'gYearMonth')]
    >>> normalise("late 2025 and early 2026")
    [('2025', 'gYear'), ('2026', 'gYear')]
    >>> normalise("March", date(2025, 6, 10)), normalise("early September", date(2025, 6, 10))
    ([('2025-03', 'gYearMonth')], [('2024-09', 'gYearMonth')])
    """
    found: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for kind, rx in PATTERNS:
        for m in rx.finditer(text):
            if not free(m.start(), m.end()):
                continue
            value = None
            g = m.groupdict()
            month = MONTHS.get(g["month"].lower().rstrip(".")) if g.get("month") and not g["month"].isdigit() \
                else int(g["month"]) if g.get("month") else None
            if kind in ("date", "iso"):
                d = _valid(int(g["year"]), month, int(g["day"]))
                if d:
                    value = (d.isoformat(), "date")
                elif month and 1 <= month <= 12:  # "February 30, 2024": keep what is certain
                    value = (f"{int(g['year']):04d}-{month:02d}", "gYearMonth")
            elif kind == "gYearMonth":
                value = (f"{int(g['year']):04d}-{month:02d}", "gYearMonth")
            elif kind in ("md", "dm") and ref is not None:
                d = _valid(ref.year, month, int(g["day"]))
                if d and d > ref + timedelta(days=31):
                    d = _valid(ref.year - 1, month, int(g["day"]))
                value = (d.isoformat(), "date") if d else None
            elif kind == "gYear":
                value = (g["year"], "gYear")
            if value:
                taken.append((m.start(), m.end()))
                found.append((m.start(), *value))
    if ref is not None:
        for m in _RELATIVE_MONTH.finditer(text):
            if free(m.start(), m.end()):
                month = MONTHS[m.group("month").lower().rstrip(".")]
                year = ref.year if month < ref.month or (m.group(0).lower().startswith("this")
                                                          and month <= ref.month) else ref.year - 1
                taken.append((m.start(), m.end()))
                found.append((m.start(), f"{year:04d}-{month:02d}", "gYearMonth"))
        for m in _BARE_MONTH.finditer(text):  # "In March, militants attacked ...": the last March
            if free(m.start(), m.end()):
                month = MONTHS[m.group("month").lower()]
                year = ref.year if month <= ref.month else ref.year - 1
                taken.append((m.start(), m.end()))
                found.append((m.start(), f"{year:04d}-{month:02d}", "gYearMonth"))
        for m in _WEEKDAY.finditer(text):
            if free(m.start(), m.end()):
                wd = WEEKDAYS[m.group("wd").lower()]
                back = (ref.weekday() - wd) % 7
                rel = (m.group("rel") or "").lower()
                if rel == "next":
                    continue
                if rel in ("last", "past") and back == 0:
                    back = 7
                taken.append((m.start(), m.end()))
                found.append((m.start(), (ref - timedelta(days=back)).isoformat(), "date"))
        low = text.lower()
        for phrase, days in (("yesterday", 1), ("today", 0), ("this morning", 0), ("tonight", 0)):
            i = low.find(phrase)
            if i >= 0 and free(i, i + len(phrase)):
                found.append((i, (ref - timedelta(days=days)).isoformat(), "date"))
        for phrase, span in (("last week", (13, 7)), ("earlier this week", (6, 1)),
                             ("last month", None), ("this year", None), ("last year", None)):
            i = low.find(phrase)
            if i < 0 or not free(i, i + len(phrase)):
                continue
            if phrase == "last month":
                first = ref.replace(day=1) - timedelta(days=1)
                found.append((i, f"{first.year:04d}-{first.month:02d}", "gYearMonth"))
            elif phrase == "this year":
                found.append((i, f"{ref.year:04d}", "gYear"))
            elif phrase == "last year":
                found.append((i, f"{ref.year - 1:04d}", "gYear"))
            else:
                a, b = ref - timedelta(days=span[0]), ref - timedelta(days=span[1])
                if (a.year, a.month) == (b.year, b.month):
                    found.append((i, f"{a.year:04d}-{a.month:02d}", "gYearMonth"))
                elif a.year == b.year:
                    found.append((i, f"{a.year:04d}", "gYear"))
    found.sort()
    out: list[tuple[str, str]] = []
    for _, value, kind in found:
        if (value, kind) not in out:
            out.append((value, kind))
    return out


def parse_iso(value: str | None) -> date | None:
    """An ISO date string to a ``date`` (None when absent or malformed)."""
    if not value:
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
    return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
