"""Date normalisation against the article date."""
from __future__ import annotations

from datetime import date

import pytest

from kg.extract.dates import normalise, parse_iso


@pytest.mark.parametrize("text,ref,expected", [
    ("January 31, 2026", None, [("2026-01-31", "date")]),
    ("16 September 2022", None, [("2022-09-16", "date")]),
    ("in March 2025", None, [("2025-03", "gYearMonth")]),
    ("since 2009", None, [("2009", "gYear")]),
    ("the night of 31 December 2022/1 January 2023", None, [("2022-12-31", "date"), ("2023-01-01", "date")]),
    ("Saturday", date(2024, 11, 9), [("2024-11-09", "date")]),
    ("on Tuesday", date(2023, 4, 12), [("2023-04-11", "date")]),
    ("last October", date(2023, 4, 12), [("2022-10", "gYearMonth")]),
    ("December 2", date(2013, 12, 12), [("2013-12-02", "date")]),
    ("December 28", date(2014, 1, 5), [("2013-12-28", "date")]),
    ("last month", date(2024, 1, 15), [("2023-12", "gYearMonth")]),
    ("Saturday", None, []),
    ("December 2", None, []),
    ("February 30, 2024", None, [("2024-02", "gYearMonth")]),
    ("March", date(2025, 6, 10), [("2025-03", "gYearMonth")]),  # the last March
    ("June", date(2025, 6, 10), [("2025-06", "gYearMonth")]),
    ("early September", date(2025, 6, 10), [("2024-09", "gYearMonth")]),
    ("March", None, []),
    ("march", date(2025, 6, 10), []),  # the verb
])
def test_normalise(text, ref, expected):
    assert normalise(text, ref) == expected


def test_parse_iso():
    assert parse_iso("2024-11-09") == date(2024, 11, 9)
    assert parse_iso("2024-13-09") is None and parse_iso(None) is None and parse_iso("Saturday") is None
