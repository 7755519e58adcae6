"""Modality: allegations, denials, hedges and negation are claims, not facts."""
from __future__ import annotations

import pytest

from conftest import fact_pairs

pytestmark = pytest.mark.e2e


def claims(f):
    def n(k):
        return f.entities[k].label if k in f.entities else (f.events[k].cls if k in f.events else k)
    return {(n(c.subject), c.predicate, n(c.object), c.status, n(c.claimant) if c.claimant else None,
             n(c.denied_by) if c.denied_by else None) for c in f.claims}


def test_accusation_with_denial(extract):
    f = extract("Pakistani officials accused India of supporting the Baloch Liberation Army, an allegation "
                "New Delhi refutes.")
    assert ("India", "supports", "Baloch Liberation Army") not in fact_pairs(f)
    assert ("Government of Pakistan", "accused", "India") in fact_pairs(f)
    assert ("India", "supports", "Baloch Liberation Army", "denied", "Government of Pakistan", "India") in claims(f)


def test_hedged_support_is_a_claim(extract):
    f = extract("Rwanda has reportedly provided extensive support to the M23.")
    assert ("Rwanda", "supports", "March 23 Movement") not in fact_pairs(f)
    assert any(c[1] == "supports" and c[3] == "hedged" for c in claims(f))


def test_belief_is_a_claim(extract):
    f = extract("Islamabad is widely believed to have provided arms and training to the Taliban.")
    assert not any(p == "supports" for _, p, _ in fact_pairs(f))
    assert any(c[1] == "supports" for c in claims(f))


def test_stated_support_is_a_fact(extract):
    f = extract("The Iran-backed Houthis control Sanaa.")
    assert ("Iran", "supports", "Houthis") in fact_pairs(f)


def test_negated_claim_of_responsibility(extract):
    f = extract("Gunmen attacked a checkpoint in Kurram. The Taliban did not claim responsibility for the attack.")
    assert not any(p == "claimed" for _, p, _ in fact_pairs(f))
    assert any(c[1] == "claimed" and c[3] == "negated" for c in claims(f))


def test_quoted_support_is_attributed(extract):
    f = extract('Secretary of State Marco Rubio "condemned the assault on Goma by the Rwanda-backed M23."')
    assert ("Rwanda", "supports", "March 23 Movement") not in fact_pairs(f)


def test_admission_is_a_fact(extract):
    f = extract("Myanmar's ruling junta has confirmed it carried out deadly airstrikes on a village in Sagaing.")
    assert any(p == "carriedOut" for _, p, _ in fact_pairs(f))


def test_an_accusation_parsed_under_the_denial_is_still_made_and_still_denied(extract):
    """The model parses "accused" as the complement of "denies"; the accusation is a
    fact, the support it alleges is Pakistan's claim that Kabul denies."""
    f = extract("Pakistan accused Afghanistan of supporting the militants, a charge Kabul denies.")
    assert ("Pakistan", "accused", "Afghanistan") in fact_pairs(f)
    assert not any(p == "supports" for _, p, _ in fact_pairs(f))
    assert ("Afghanistan", "supports", "militants", "denied", "Pakistan", "Afghanistan") in claims(f)


@pytest.mark.parametrize("text", [
    "The Taliban denied that they attacked the convoy.",
    "The army rejected reports that its soldiers raided the village.",
])
def test_what_is_denied_is_not_asserted(extract, text):
    f = extract(text)
    assert not any(p in ("carriedOut", "claimed") for _, p, _ in fact_pairs(f))
    assert any(c[1] == "carriedOut" and c[3] == "denied" for c in claims(f))


def test_an_accusation_alleges_who_did_it_not_what_was_done(extract):
    """"accused X of carrying out the assassination of Y in Z": who did it is the
    accuser's claim; the assassination, its target and its place are given."""
    f = extract("Iran accused Israel of carrying out the assassination of Ismail Haniyeh in Tehran.")
    pairs = fact_pairs(f)
    assert ("Iran", "accused", "Israel") in pairs
    assert {("SecurityOperation", "targeted", "Ismail Haniyeh"), ("SecurityOperation", "locatedIn", "Tehran")} <= pairs
    assert not any(p == "carriedOut" for _, p, _ in pairs)
    assert ("Israel", "carriedOut", "SecurityOperation", "alleged", "Iran", None) in claims(f)


def test_an_act_one_is_accused_of_is_alleged_whole(extract):
    f = extract("Pakistani officials accused India of attacking a school in Lahore.")
    assert not [t for t in fact_pairs(f) if t[0] in ("SecurityOperation", "Attack") or t[2] in ("SecurityOperation", "Attack")]
    assert ("India", "carriedOut", "SecurityOperation", "alleged", "Government of Pakistan", None) in claims(f)


def test_blaming_someone_for_an_attack_does_not_hedge_where_it_was(extract):
    f = extract("India blamed Pakistan for the Pahalgam attack, a charge Islamabad rejected.")
    assert ("Attack", "locatedIn", "Pahalgam") in fact_pairs(f)
