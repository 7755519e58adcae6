"""Events: triggers, roles, dates, classes and merging."""
from __future__ import annotations

import pytest

from conftest import fact_pairs

pytestmark = pytest.mark.e2e


def events(f, cls=None):
    return [e for e in f.events.values() if cls is None or e.cls == cls]


def dates(f):
    """The dates the facts give events (``occurredOn`` values)."""
    return {r.object for r in f.relations if r.predicate == "occurredOn"}


def test_attack_with_agent_target_place_and_date(extract):
    f = extract("On Saturday, militants of the Baloch Liberation Army attacked a police station in Mastung.",
                date="2024-11-09")
    (ev,) = events(f, "Attack")
    rels = {(r.subject, r.predicate, r.object) for r in f.relations}
    assert ("g:baloch-liberation-army", "carriedOut", ev.key) in rels
    assert (ev.key, "locatedIn", "g:mastung") in rels
    assert any(r.predicate == "targeted" and f.entities[r.object].label == "police station" for r in f.relations)
    assert (ev.key, "occurredOn", "2024-11-09") in rels


def test_noun_event_in_a_series_gets_date_and_agent(extract):
    f = extract("A series of near-simultaneous assaults on January 31, 2026, across multiple districts by "
                "the Baloch Liberation Army (BLA) has highlighted weaknesses.")
    pairs = fact_pairs(f)
    assert ("Baloch Liberation Army", "carriedOut", "Attack") in pairs
    assert "2026-01-31" in dates(f)


def test_claim_of_responsibility_links_the_event(extract):
    f = extract("Gunmen attacked a bus in Quetta. The Baloch Liberation Army claimed responsibility for the attack.")
    assert ("Baloch Liberation Army", "claimed", "Attack") in fact_pairs(f)
    assert len(events(f)) == 1  # "the attack" is the same event


def test_state_forces_carry_out_security_operations(extract):
    f = extract("Pakistani security forces raided a compound in Turbat on Monday.", date="2025-03-12")
    pairs = fact_pairs(f)
    assert ("Pakistani security forces", "carriedOut", "SecurityOperation") in pairs
    assert not events(f, "Attack")


def test_airstrikes_are_security_operations(extract):
    f = extract("The junta carried out airstrikes on a village in Sagaing Region.", date="2023-04-12")
    assert events(f, "SecurityOperation") and not events(f, "Attack")


def test_threats_and_plans_are_not_events(extract):
    f = extract("The group warned that it will attack the United States. It plans to bomb pipelines.")
    assert not any(r.predicate == "targeted" for r in f.relations)


def test_relative_dates_resolve_against_the_article(extract):
    f = extract("A bomb exploded at a market in Peshawar on Tuesday.", date="2023-04-12")
    assert "2023-04-11" in dates(f)


def test_separate_events_stay_separate(extract):
    f = extract("A suicide bomber struck a railway station in Quetta on Saturday. Last week, a bomb blast "
                "in the city of Mastung killed at least nine people.", date="2024-11-09")
    places = {f.entities[r.object].label for r in f.relations if r.predicate == "locatedIn" and r.subject.startswith("e:")}
    evs = {r.subject for r in f.relations if r.predicate == "locatedIn" and r.subject.startswith("e:")}
    assert {"Quetta", "Mastung"} <= places and len(evs) >= 2


def test_protest_located_by_demonym(extract):
    f = extract("The largest Iranian protests since 2009 spread to many cities.")
    assert ("Protest", "locatedIn", "Iran") in fact_pairs(f)


def test_agreement_participants_and_partners(extract):
    f = extract("The United States and Papua New Guinea signed a security agreement on Monday.", date="2023-05-22")
    pairs = fact_pairs(f)
    assert ("United States", "participatedIn", "Agreement") in pairs
    assert ("Papua New Guinea", "participatedIn", "Agreement") in pairs


def test_self_report_is_a_claim_and_a_fact(extract):
    f = extract("The Pakistani Taliban said they carried out the bombing of a police station in Bannu.")
    pairs = fact_pairs(f)
    actors = {s for s, p, o in pairs if p == "carriedOut" and o == "Attack"}
    assert actors and all("Taliban" in a for a in actors)
    assert {s for s, p, o in pairs if p == "claimed"} == actors


@pytest.mark.parametrize("text,fact", [
    ("Al-Shabaab fighters stormed a hotel in Mogadishu late on Friday, killing at least 9 people, police said.",
     ("al-Shabaab", "carriedOut", "Attack")),
    ("Israeli airstrikes on Gaza City killed 25 people, according to the Gaza health ministry.",
     ("Israel", "carriedOut", "SecurityOperation")),
    ("Protesters clashed with police in Dhaka on Sunday, leaving two dead.", ("protesters", "carriedOut", "Protest")),
    ("The Islamic State claimed responsibility for the suicide bombing at a mosque in Peshawar.",
     ("Attack", "locatedIn", "Peshawar")),
])
def test_news_attribution_reports_events(extract, text, fact):
    """"..., police said" attributes a report; it does not turn the event into a claim."""
    f = extract(text, date="2024-03-14")
    assert fact in fact_pairs(f)
    assert not [c for c in f.claims if c.predicate in ("carriedOut", "locatedIn")]


def test_claiming_verbs_still_make_claims(extract):
    f = extract("The army claimed that Taliban militants attacked the checkpoint in Kurram.")
    assert not any(p == "carriedOut" for _, p, _ in fact_pairs(f))
    assert any(c.predicate == "carriedOut" and c.status in ("reported", "alleged") for c in f.claims)


def test_each_fact_of_a_merged_event_cites_the_sentence_that_states_it(extract):
    """Two sentences tell one attack; each place is cited from the sentence naming it,
    not from the sentence of the frame the event was merged into."""
    first = "On February 14, 2019, a car bomb hit a convoy carrying police in India's Jammu and Kashmir state."
    second = "The attack took place in Pulwama."
    f = extract(f"{first} {second}")
    (ev,) = events(f, "Attack")
    cited = {(f.entities[r.object].label, r.evidence.sentence)
             for r in f.relations if r.subject == ev.key and r.predicate == "locatedIn"}
    assert ("Pulwama", second) in cited and ("Pulwama", first) not in cited
    assert ("Jammu and Kashmir", first) in cited and ("Jammu and Kashmir", second) not in cited


def test_an_event_is_placed_in_the_larger_place_its_sentence_names(extract):
    f = extract("Militants ambushed a convoy in the Barsalogho Department of northern Burkina Faso.")
    pairs = fact_pairs(f)
    assert ("Barsalogho Department", "locatedIn", "Burkina Faso") in pairs
    assert ("Attack", "locatedIn", "Barsalogho Department") in pairs
    within = [r for r in f.relations if r.predicate == "locatedIn" and r.subject in f.events
              and f.entities[r.object].label == "Burkina Faso"]
    assert [r.evidence.rule for r in within] == ["ev.place.within"]


def test_a_larger_place_named_in_another_sentence_does_not_place_the_event(extract):
    f = extract("Gunmen attacked a checkpoint in Kurram on Monday. Kurram is a district of Khyber Pakhtunkhwa.")
    assert ("Attack", "locatedIn", "Kurram") in fact_pairs(f)
    assert not any(r.predicate == "locatedIn" and r.subject in f.events
                   and f.entities[r.object].label == "Khyber Pakhtunkhwa" for r in f.relations)


def test_a_place_in_another_clause_does_not_place_the_event(extract):
    f = extract("Militants stormed a police post in Bannu on Sunday. Officials condemned the assault, "
                "noting that the group is banned in Pakistan.")
    pairs = fact_pairs(f)
    assert ("Attack", "locatedIn", "Bannu") in pairs
    assert ("Attack", "locatedIn", "Pakistan") not in pairs


def test_a_relative_clause_of_occurring_places_the_event(extract):
    f = extract("Gunmen attacked a checkpoint in Kurram on Monday. The attack, which took place near "
                "Parachinar, killed four soldiers.")
    assert ("Attack", "locatedIn", "Parachinar") in fact_pairs(f)


def test_the_vehicle_of_a_car_bomb_is_not_its_target(extract):
    f = extract("A car bomb exploded near a market in Peshawar on Monday. A convoy bombing killed three soldiers in Bannu. "
                "A militant commander was killed in a drone strike in Kurram.")
    targets = {f.entities[r.object].label for r in f.relations if r.predicate == "targeted"}
    assert "car" not in targets and "drone" not in targets
    assert "convoy" in targets  # a modifier of a bombing is still what was bombed


@pytest.mark.parametrize("text,facts", [
    ("Gunmen killed 12 villagers in Zamfara on Monday.",
     {("gunmen", "carriedOut", "Attack"), ("Attack", "targeted", "villagers"), ("Attack", "locatedIn", "Zamfara")}),
    ("Security forces killed 10 militants in Turbat on Monday.",
     {("Security forces", "carriedOut", "SecurityOperation"), ("SecurityOperation", "targeted", "militants")}),
])
def test_a_killing_by_an_armed_actor_is_an_event(extract, text, facts):
    f = extract(text, date="2024-03-05")
    assert facts <= fact_pairs(f)
    (ev,) = events(f)
    assert any(r.subject == ev.key and r.predicate == "occurredOn" and r.object == "2024-03-04" for r in f.relations)


@pytest.mark.parametrize("text,count", [
    ("Militants attacked a checkpoint in Kurram, killing four soldiers.", 1),  # the attack's toll
    ("The blast killed 26 people in Quetta.", 1),  # the blast's toll
    ("A man killed his neighbour in Lahore.", 0),  # not an armed actor
    ("Soldiers were killed in Kurram.", 0),  # no killer
])
def test_a_killing_is_no_second_event_and_no_event_without_an_armed_killer(extract, text, count):
    assert len(events(extract(text))) == count


def test_killers_already_told_kill_in_the_event_told(extract):
    f = extract("Militants attacked a bus in Kohat on Monday. The gunmen killed 12 passengers.", date="2024-03-05")
    (ev,) = events(f)
    assert ("Attack", "targeted", "passengers") in fact_pairs(f)


@pytest.mark.parametrize("text,facts", [
    ("Gunmen opened fire on a passenger bus in Kohat on Monday.",
     {("gunmen", "carriedOut", "Attack"), ("Attack", "locatedIn", "Kohat")}),
    ("A suicide bomber blew himself up at a mosque in Peshawar on Friday.", {("Attack", "locatedIn", "Peshawar")}),
])
def test_two_word_trigger_verbs_open_events(extract, text, facts):
    f = extract(text, date="2024-03-05")
    assert facts <= fact_pairs(f)
    assert [e.cls for e in events(f)] == ["Attack"]


def test_an_attack_at_sea_is_located_in_the_sea(extract):
    f = extract("Houthi rebels fired a ballistic missile at a commercial ship in the Gulf of Aden.")
    assert ("Attack", "locatedIn", "Gulf of Aden") in fact_pairs(f)


def test_capturing_the_village_of_a_place_is_an_operation_there(extract):
    f = extract("Russian troops captured the village of Krasnohorivka in Ukraine's Donetsk region.")
    pairs = fact_pairs(f)
    assert ("SecurityOperation", "targeted", "Krasnohorivka") in pairs
    assert ("SecurityOperation", "locatedIn", "Ukraine") in pairs  # (ev.place.within)


def test_a_weapon_that_kills_is_an_attack(extract):
    f = extract("A roadside bomb killed four soldiers in North Waziristan on Tuesday, the military said.",
                date="2024-03-07")
    (ev,) = events(f)
    assert ev.cls == "Attack"
    pairs = fact_pairs(f)
    assert {("Attack", "targeted", "soldiers"), ("Attack", "locatedIn", "North Waziristan")} <= pairs
    assert "2024-03-05" in dates(f)


def test_a_weapon_that_is_not_used_is_no_attack(extract):
    assert not events(extract("The bomb disposal squad defused the device near the market."))


def test_the_target_of_a_condemned_attack_misattached_to_the_verb(extract):
    """"condemned the airstrike on a market": the model hangs "on a market" on
    "condemned"; it is what the airstrike hit."""
    f = extract("The United Nations condemned the airstrike on a market in the town.")
    assert ("SecurityOperation", "targeted", "market") in fact_pairs(f)


def test_seizing_power_is_a_coup_and_its_participle_the_same_coup(extract):
    f = extract("The military seized power in Niger in July 2023, ousting President Mohamed Bazoum.")
    (ev,) = events(f)
    assert ev.cls == "Coup"
    pairs = fact_pairs(f)
    assert {("Coup", "locatedIn", "Niger"), ("Coup", "targeted", "Mohamed Bazoum")} <= pairs
    assert "2023-07" in dates(f)


def test_the_parties_and_mediators_of_an_agreement_take_part(extract):
    f = extract("Hamas and Israel agreed to a ceasefire brokered by Qatar and Egypt.")
    pairs = fact_pairs(f)
    assert {(x, "participatedIn", "Agreement") for x in ("Hamas", "Israel", "Qatar", "Egypt")} <= pairs
    assert not any(p == "partnerOf" for _, p, _ in pairs)  # a ceasefire makes no partners


def test_taking_to_the_streets_is_a_protest(extract):
    f = extract("Thousands of people took to the streets of Dhaka on Sunday to demand the prime minister's resignation.")
    assert ("Protest", "locatedIn", "Dhaka") in fact_pairs(f)


def test_those_killed_in_an_attack_were_its_targets(extract):
    f = extract("Three soldiers were wounded in an attack on a checkpoint in Bannu on Friday.", date="2024-03-05")
    (ev,) = events(f)
    assert {("Attack", "targeted", "soldiers"), ("Attack", "targeted", "checkpoint")} <= fact_pairs(f)
    assert "2024-03-01" in dates(f)


def test_a_sequence_of_verbs_tells_one_attack_with_the_first_verbs_place_and_date(extract):
    f = extract("Gunmen stopped a passenger bus on a highway in Pakistan's Balochistan province on Monday night, "
                "checked the identity cards of the travellers and shot dead nine men, officials said. "
                "The attack took place near the town of Zhob.", date="2025-06-10")
    (ev,) = events(f)
    pairs = fact_pairs(f)
    assert {("gunmen", "carriedOut", "Attack"), ("Attack", "targeted", "men"), ("Attack", "locatedIn", "Balochistan"),
            ("Attack", "locatedIn", "Zhob")} <= pairs
    assert "2025-06-09" in dates(f)


def test_shooting_something_other_than_people_dead_is_no_attack(extract):
    assert not events(extract("Militants shot a video of the convoy near Quetta."))


def test_the_day_of_a_claim_is_not_the_day_of_the_attack(extract):
    f = extract("Jihadist fighters attacked a military camp in Mali on Tuesday. JNIM claimed responsibility for "
                "the attack on Wednesday.", date="2025-06-12")
    assert dates(f) == {"2025-06-10"}


def test_who_died_carried_out_nothing_and_the_neutralised_did_not_neutralise(extract):
    f = extract("The army said that 14 soldiers had died and that 25 assailants were neutralised during the fighting.")
    pairs = fact_pairs(f)
    assert not any(p == "carriedOut" and s == "soldiers" for s, p, _ in pairs)
    assert ("SecurityOperation", "targeted", "assailants") in pairs


def test_a_month_alone_dates_the_attack_and_near_places_it(extract):
    f = extract("In March, militants from the Baloch Liberation Army attacked a convoy of Chinese engineers "
                "near Gwadar, police said.", date="2025-06-10")
    pairs = fact_pairs(f)
    assert {("Baloch Liberation Army", "carriedOut", "Attack"), ("Attack", "locatedIn", "Gwadar")} <= pairs
    assert "2025-03" in dates(f)


def test_who_leads_the_attackers_carried_out_the_attack(extract):
    f = extract("On October 7, 2023, Hamas-led gunmen attacked Israeli communities.")
    assert {("gunmen", "carriedOut", "Attack"), ("Hamas", "carriedOut", "Attack")} <= fact_pairs(f)


def test_named_fighters_as_a_target_are_their_group(extract):
    f = extract("The Israeli military said it had struck Hamas militants operating from a command centre inside the school.")
    assert ("SecurityOperation", "targeted", "Hamas") in fact_pairs(f)
    f = extract("Pakistani troops attacked TTP fighters in Kurram.")
    assert ("SecurityOperation", "targeted", "Tehreek-e-Taliban Pakistan") in fact_pairs(f)


def test_an_agreement_known_only_by_its_mediators_is_kept(extract):
    f = extract("The talks resumed on a ceasefire brokered by Egypt and Qatar.")
    assert {("Egypt", "participatedIn", "Agreement"), ("Qatar", "participatedIn", "Agreement")} <= fact_pairs(f)


def test_the_attackers_already_told_act_in_the_event_told(extract):
    f = extract("Armed men abducted 20 students from a school in Kaduna state on Thursday. The gunmen arrived on "
                "motorcycles and opened fire before taking the students into a forest.", date="2025-06-10")
    assert len(events(f)) == 1
    assert ("gunmen", "carriedOut", "Hijacking") in fact_pairs(f)


def test_every_place_of_a_list_places_the_event_and_protests_that_spread_are_placed(extract):
    f = extract("Kenyan police fired tear gas and live rounds at protesters in Nairobi and Mombasa on Tuesday.")
    assert {("SecurityOperation", "locatedIn", "Nairobi"), ("SecurityOperation", "locatedIn", "Mombasa")} <= fact_pairs(f)
    assert ("Protest", "locatedIn", "Kenya") in fact_pairs(extract("Protests spread across Kenya on Tuesday."))


def test_an_armed_movement_that_speaks_is_no_protest(extract):
    f = extract("Yemen's Iran-aligned Houthi movement said on Friday it had targeted a British oil tanker in the Gulf of Aden.")
    assert not events(f, "Protest")
    assert ("Houthis", "carriedOut", "Attack") in fact_pairs(f)


def test_the_strikes_are_the_strikes_told_with_that_word_and_what_they_hit_is_theirs(extract):
    f = extract("The Houthis attacked a tanker in the Gulf of Aden. Hours later, U.S. forces struck dozens of targets "
                "across Yemen. The U.S. military said the strikes hit radar sites in Sanaa and Hodeidah.")
    (attack,) = events(f, "Attack")
    (operation,) = events(f, "SecurityOperation")
    places = {(r.subject, f.entities[r.object].label) for r in f.relations if r.predicate == "locatedIn" and r.subject in f.events}
    assert {(operation.key, "Sanaa"), (operation.key, "Hodeidah")} <= places
    assert not {(attack.key, "Sanaa"), (attack.key, "Hodeidah")} & places


def test_an_attack_claimed_by_a_group_and_what_its_bomber_killed(extract):
    f = extract("A suicide bomber killed at least 12 soldiers at a military base in Mogadishu on Sunday, a Somali army "
                "officer said, in an attack claimed by the al Qaeda-linked al Shabaab group.", date="2025-03-03")
    (ev,) = events(f)
    pairs = fact_pairs(f)
    assert {("al-Shabaab", "claimed", "Attack"), ("Attack", "targeted", "soldiers"), ("Attack", "locatedIn", "Mogadishu")} <= pairs
    assert "2025-03-02" in dates(f)
    assert not f.claims  # "claimed by" is a claim of responsibility, not a hedge on "al Qaeda-linked"


def test_a_purpose_is_no_event(extract):
    f = extract("The group has been fighting for more than 15 years to topple Somalia's central government.")
    assert not events(f, "Coup")
    f = extract("Shortly after the war began, the group began to launch missiles at Israel.")
    assert events(f, "Attack")  # what one begins to do happens


def test_signing_a_partnership_is_one_agreement(extract):
    f = extract("Vietnam and the European Union signed a comprehensive strategic partnership in Hanoi on Monday.",
                date="2024-03-05")
    (ev,) = events(f)
    assert {("Vietnam", "participatedIn", "Agreement"), ("European Union", "participatedIn", "Agreement"),
            ("Agreement", "locatedIn", "Hanoi")} <= fact_pairs(f)


def test_the_parties_of_a_deal_they_agreed_to_make(extract):
    f = extract("Saudi Arabia and Iran agreed to restore diplomatic ties in a deal brokered by China.")
    assert {(x, "participatedIn", "Agreement") for x in ("Saudi Arabia", "Iran", "China")} <= fact_pairs(f)


def test_recurring_and_named_days_date_nothing_and_held_protests_are_placed(extract):
    f = extract("Demonstrations have been held in Zahedan every Friday since September, when security forces killed "
                "dozens of people in a crackdown that rights groups called \"Bloody Friday\".", date="2025-06-10")
    assert not dates(f)  # not "every Friday", not "since September", not "Bloody Friday"
    pairs = fact_pairs(f)
    assert ("Protest", "locatedIn", "Zahedan") in pairs  # held, not hedged
    assert ("security forces", "carriedOut", "SecurityOperation") in pairs


def test_a_conflict_is_dated_from_its_start(extract):
    f = extract("Since August 2015, a civil conflict between the government and Islamist rebels has killed thousands.")
    assert "2015-08" in dates(f)


def test_those_arrested_in_raids_tell_who_raided(extract):
    f = extract("Israeli troops arrested 25 Palestinians in overnight raids across the occupied West Bank, the "
                "Palestinian Prisoners Society said.")
    assert {("Israel Defense Forces", "carriedOut", "SecurityOperation"), ("SecurityOperation", "targeted", "Palestinians"),
            ("SecurityOperation", "locatedIn", "West Bank")} <= fact_pairs(f)


def test_each_country_of_the_forces_that_struck_and_the_group_whose_hideouts_were_hit(extract):
    f = extract("U.S. and British forces struck dozens of targets across Yemen.")
    assert {("United States", "carriedOut", "SecurityOperation"), ("United Kingdom", "carriedOut", "SecurityOperation")} \
        <= fact_pairs(f)
    f = extract("Pakistani jets struck TTP hideouts in Afghanistan.")
    assert ("SecurityOperation", "targeted", "Tehreek-e-Taliban Pakistan") in fact_pairs(f)
    f = extract("Militants attacked an air force base in Maiduguri.")
    assert ("Attack", "targeted", "air force base") in fact_pairs(f)  # a base stays a base
