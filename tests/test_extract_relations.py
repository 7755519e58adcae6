"""Relations between entities: dependency patterns (data), roles, routes, borders."""
from __future__ import annotations

import pytest

from conftest import fact_pairs


@pytest.mark.e2e
@pytest.mark.parametrize("text,fact", [
    ("Balochistan, Pakistan's largest province, is rich in minerals.", ("Balochistan", "locatedIn", "Pakistan")),
    ("Officials in China's Xinjiang province denied the report.", ("Xinjiang", "locatedIn", "China")),
    ("Jaish-e-Mohammad, a Pakistan-based terrorist group, was blamed.", ("Jaish-e-Mohammed", "locatedIn", "Pakistan")),
    ("The strait lies between Malaysia and Indonesia; the Strait of Malacca between Malaysia and Indonesia is busy.",
     ("Strait of Malacca", "borders", "Indonesia")),
    ("The Iran-backed Houthis fired missiles.", ("Iran", "supports", "Houthis")),
    ("The People's Defense Force, the military arm of the National Unity Government, denied it.",
     ("People's Defense Force", "partOf", "National Unity Government")),
    ("Vietnam's strategic partners, including the United States, China, and Russia, welcomed it.",
     ("Vietnam", "partnerOf", "Russia")),
    ("The corridor is designed to link Gwadar Port in Balochistan to China's Xinjiang province, said CPEC officials. "
     "CPEC is a China-Pakistan Economic Corridor project designed to link Gwadar Port to Xinjiang.",
     ("China-Pakistan Economic Corridor", "links", "Xinjiang")),
    ("The attack took place in Pulwama in the heart of the Kashmir Valley.", ("Pulwama", "locatedIn", "Kashmir Valley")),
    ("Prime Minister Shehbaz Sharif of Pakistan condemned the bombing.", ("Shehbaz Sharif", "leaderOf", "Pakistan")),
    ("Chinese premier Li Keqiang proposed the corridor in 2013.", ("Li Keqiang", "leaderOf", "China")),
])
def test_relation_patterns_on_real_sentences(extract, text, fact):
    assert fact in fact_pairs(extract(text))


@pytest.mark.e2e
def test_province_that_borders(extract):
    f = extract("Militants attacked Quetta in Balochistan, a large, sparsely populated province that borders "
                "Iran and Afghanistan.")
    pairs = fact_pairs(f)
    assert ("Balochistan", "borders", "Iran") in pairs and ("Balochistan", "borders", "Afghanistan") in pairs


@pytest.mark.e2e
def test_no_located_in_between_peer_places_or_into_seas(extract):
    f = extract("A deep-water port at Gwadar in the Arabian Sea links Quetta in Karachi.")
    pairs = fact_pairs(f)
    assert ("Gwadar", "locatedIn", "Arabian Sea") not in pairs
    assert ("Quetta", "locatedIn", "Karachi") not in pairs


def test_pattern_rule_on_a_hand_built_doc(make_doc, gaz, rules):
    """The "X-backed Y" pattern fires on a hand-made parse, no model involved."""
    from kg.extract.context import DocContext
    from kg.extract.relations import pattern_relations
    from kg.model import Article

    words = ["The", "Iran", "-", "backed", "Houthis", "fired", "missiles", "."]
    heads = [4, 3, 3, 4, 5, 5, 5, 5]
    deps = ["det", "npadvmod", "punct", "amod", "nsubj", "ROOT", "dobj", "punct"]
    pos = ["DET", "PROPN", "PUNCT", "VERB", "PROPN", "VERB", "NOUN", "PUNCT"]
    lemmas = ["the", "Iran", "-", "back", "Houthis", "fire", "missile", "."]
    doc = make_doc(words, heads, deps, pos=pos, lemmas=lemmas, ents=[(1, 2, "GPE"), (4, 5, "ORG")])
    ctx = DocContext(doc, Article(id="h", text=doc.text), gaz, rules)
    pattern_relations(ctx)
    rels = {(r.subject, r.predicate, r.object, r.evidence.rule) for r in ctx.facts.relations}
    assert ("g:iran", "supports", "g:houthis", "rel.supports.backed") in rels


def test_sentence_of_a_token_is_spacys(make_doc, gaz, rules):
    """``DocContext.sent_of`` gives the sentence spaCy gives (``Token.sent``), for
    every token of a two-sentence parse and a one-token sentence."""
    from kg.extract.context import DocContext
    from kg.model import Article

    words = ["Gunmen", "attacked", "Quetta", ".", "Police", "said", "so", ".", "Yes"]
    heads = [1, 1, 1, 1, 5, 5, 5, 5, 8]
    deps = ["nsubj", "ROOT", "dobj", "punct", "nsubj", "ROOT", "advmod", "punct", "ROOT"]
    doc = make_doc(words, heads, deps)
    ctx = DocContext(doc, Article(id="s", text=doc.text), gaz, rules)
    assert [(ctx.sent_of(t.i).start, ctx.sent_of(t.i).end) for t in doc] == \
        [(t.sent.start, t.sent.end) for t in doc] == [(0, 4)] * 4 + [(4, 8)] * 4 + [(8, 9)]
    assert ctx.sent_of(5) is ctx.sent_of(7)  # one Span per sentence


def test_relation_rules_are_validated_data(tmp_path):
    import shutil

    from kg.extract.rules import RuleError, load_rules
    from kg.paths import rules_dir

    load_rules.cache_clear()
    folder = tmp_path / "rules"
    shutil.copytree(rules_dir(), folder)
    text = (folder / "relations.yaml").read_text()
    (folder / "relations.yaml").write_text(text.replace("predicate: borders", "predicate: bordres", 1))
    with pytest.raises(RuleError, match="unknown predicate 'bordres'"):
        load_rules(folder)
    (folder / "relations.yaml").write_text(text.replace("subject: x\n", "subject: nobody\n", 1))
    with pytest.raises(RuleError, match="is not a node of the pattern"):
        load_rules(folder)
    ids = [r.id for r in load_rules().relations]
    assert len(ids) == len(set(ids)) and all(i.startswith("rel.") for i in ids)


def test_rule_files_that_are_not_yaml_name_the_file(tmp_path):
    import shutil

    from kg.extract.rules import RuleError, load_rules
    from kg.paths import rules_dir

    folder = tmp_path / "rules"
    shutil.copytree(rules_dir(), folder)
    (folder / "events.yaml").write_text("version: 1\ntriggers: [unclosed\n")
    with pytest.raises(RuleError, match=r"events\.yaml: not valid YAML"):
        load_rules(folder)
    (folder / "events.yaml").write_text("- just\n- a list\n")
    with pytest.raises(RuleError, match=r"events\.yaml: expected a mapping with 'version: 1'"):
        load_rules(folder)


@pytest.mark.e2e
@pytest.mark.parametrize("text,pairs", [
    ("Balochistan shares a long border with Iran and Afghanistan.",
     {("Balochistan", "borders", "Iran"), ("Balochistan", "borders", "Afghanistan")}),
    ("Iran and Pakistan share a long border.", {("Pakistan", "borders", "Iran")}),
    ("Pakistan shares a 2,600-kilometre border with Afghanistan.", {("Pakistan", "borders", "Afghanistan")}),
])
def test_a_shared_border_is_a_border_however_shares_is_parsed(extract, text, pairs):
    assert pairs <= fact_pairs(extract(text))


@pytest.mark.e2e
@pytest.mark.parametrize("text", [
    "The two countries do not share a border.",
    "Militants shared videos of the attack near the border with Iran.",
])
def test_no_border_from_sharing_something_else_or_a_negated_share(extract, text):
    assert not any(p == "borders" for _, p, _ in fact_pairs(extract(text)))


@pytest.mark.e2e
def test_a_project_described_as_a_project_of_another_is_part_of_it(extract):
    f = extract("China and Pakistan signed agreements to expand the China-Pakistan Economic Corridor (CPEC), a "
                "flagship project of Beijing's Belt and Road Initiative.")
    assert ("China-Pakistan Economic Corridor", "partOf", "Belt and Road Initiative") in fact_pairs(f)


@pytest.mark.e2e
def test_every_condemner_of_a_list_condemned(extract):
    pairs = fact_pairs(extract("The United States, Britain and France condemned the attack on the embassy."))
    assert {(x, "condemned", "Attack") for x in ("United States", "United Kingdom", "France")} <= pairs


TTP = "Tehreek-e-Taliban Pakistan"


@pytest.mark.e2e
@pytest.mark.parametrize("second,facts,not_facts", [
    ("The TTP claimed the attack in a statement.", {(TTP, "claimed", "Attack")}, set()),
    ("The TTP said it was behind the attack.", {(TTP, "carriedOut", "Attack"), (TTP, "claimed", "Attack")}, set()),
    # what the police say is no claim of the group's
    ("Police said the TTP was behind the attack.", {(TTP, "carriedOut", "Attack")}, {(TTP, "claimed", "Attack")}),
])
def test_claiming_an_attack_and_being_behind_it(extract, second, facts, not_facts):
    pairs = fact_pairs(extract(f"Gunmen attacked a police post in Bannu. {second}"))
    assert facts <= pairs
    assert not (not_facts & pairs)


@pytest.mark.e2e
def test_no_group_claimed_is_no_claim(extract):
    f = extract("Militants of the TTP are active in the area. Gunmen attacked a police post in Bannu. "
                "No group has claimed the attack.")
    assert not any(p == "claimed" for _, p, _ in fact_pairs(f))


@pytest.mark.e2e
def test_joining_an_organisation_makes_a_member(extract):
    assert ("Pakistan", "memberOf", "Shanghai Cooperation Organisation") in fact_pairs(
        extract("Pakistan joined the Shanghai Cooperation Organisation in 2017."))
    assert not any(p == "memberOf" for _, p, _ in fact_pairs(extract("Thousands joined the protests in Karachi.")))


@pytest.mark.e2e
def test_arming_and_training_a_group_supports_it_and_officials_saying_so_is_their_claim(extract):
    assert ("Iran", "supports", "Houthis") in fact_pairs(extract("Iran has armed and trained the Houthis for years."))
    f = extract("Iran has armed and trained the Houthis for years, U.S. officials say.")
    assert ("Iran", "supports", "Houthis") not in fact_pairs(f)
    assert any(c.predicate == "supports" and c.status == "reported" for c in f.claims)
