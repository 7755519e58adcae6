"""Casualty figures: counts, kinds, victims, qualifiers and sources."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def figures(f):
    def src(r):
        return f.entities[r.source].label if r.source else None
    return {(r.count, r.kind, r.victims, src(r), r.qualifier) for r in f.reports}


def test_according_to_and_conjoined_figures(extract):
    f = extract("According to provincial officials, at least 31 civilians and 17 security personnel were killed "
                "in Balochistan.")
    got = figures(f)
    assert (31, "killed", "civilians", "Government of Balochistan", "at least") in got
    assert (17, "killed", "security personnel", "Government of Balochistan", None) in got


def test_two_sources_with_different_figures_stay_side_by_side(extract):
    f = extract("Ukrainian officials claimed that the attack killed 400 Russian troops, while Russian officials "
                "confirmed that 63 troops were killed.")
    got = {(c, v, s) for c, _, v, s, _ in figures(f)}
    assert (400, "Russian troops", "Government of Ukraine") in got
    assert (63, "troops", "Government of Russia") in got


def test_figure_without_a_source(extract):
    f = extract("A prison attack in Mastung freed more than 30 inmates.")
    assert (30, "freed", "inmates", None, "more than") in figures(f)


def test_kind_nouns_and_passive_sources(extract):
    f = extract("Between 400 and 500 deaths and 300 injuries were reported by the Ukrainian army.")
    got = {(c, k) for c, k, *_ in figures(f)}
    assert {(400, "killed"), (500, "killed"), (300, "injured")} <= got
    assert all(s == "Armed Forces of Ukraine" for *_, s, _ in figures(f))


def test_sources_told_an_outlet(extract):
    f = extract("On 27 August, sources told Reuters that the attack had likely killed at least 400 people.")
    assert (400, "killed", "people", "Reuters", "at least") in figures(f)


def test_spokesman_stands_for_the_ministry(extract):
    f = extract("A Nigerian defense ministry spokesman said 24 insurgents died in a shootout with soldiers.")
    ((count, kind, victims, source, _),) = figures(f)
    assert (count, kind, victims) == (24, "killed", "insurgents")
    assert source and "Defence" in source and "Nigeria" in source


def test_numbers_that_are_not_casualties(extract):
    f = extract("The year 2025 saw a 73 percent increase in deaths across 12 districts over 40 hours.")
    assert not f.reports


def test_word_numbers_and_millions(extract):
    f = extract("The conflict displaced more than 2 million people and killed nine sailors.")
    got = {(c, k) for c, k, *_ in figures(f)}
    assert (2_000_000, "displaced") in got and (9, "killed") in got


def test_according_to_a_statement_from(extract):
    f = extract("According to a statement from the Pakistani military, 12 militants were killed in North Waziristan.")
    ((count, _, victims, source, _),) = figures(f)
    assert (count, victims) == (12, "militants") and source in ("Pakistan Army", "Pakistani military")


@pytest.mark.parametrize("text,count,source", [
    ("The death toll rose to 54, the health ministry said.", 54, "health ministry"),
    ("The Sudanese army said 40 civilians were killed, while activists put the toll at 70.", 70, "activists"),
    ("At least 22 people were killed, the Gaza Civil Emergency Service said on Saturday.", 22, "Gaza Civil Emergency Service"),
])
def test_tolls_and_their_sources(extract, text, count, source):
    f = extract(text, date="2025-06-10")
    found = {(r.count, f.entities[r.source].label if r.source else None) for r in f.reports if r.kind == "killed"}
    assert (count, source) in found


def test_a_year_a_toll_rose_in_is_no_figure(extract):
    assert not extract("The toll rose in 2024.").reports


def test_what_the_verb_says_happened_decides_the_kind(extract):
    f = extract("Last month, 15 hostages were freed after their families paid a ransom.", date="2025-06-10")
    assert [(r.count, r.kind, r.victims) for r in f.reports] == [(15, "freed", "hostages")]
