"""The curated gazetteer: known entities with canonical names, aliases and classes.

The data lives in ``ontology/gazetteer/*.jsonl``, one entry a line::

    {"id": "baloch-liberation-army", "name": "Baloch Liberation Army",
     "class": "ArmedGroup", "aliases": ["BLA", "Balochistan Liberation Army"],
     "wikidata": "Q806255", "country": "pakistan", "source": "..."}

Places may carry ``parent`` (the id of the containing place), ``lat``/``lon``;
countries ``demonyms`` ("Pakistani") and ``capital`` (an id). Users add their own
files to the folder or pass ``extra`` paths. Entries are validated on load; a bad line
is an error naming the file and line.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.paths import ontology_dir

ENTITY_CLASSES = frozenset({
    "Agent", "Person", "Organization", "ArmedGroup", "GovernmentBody", "SecurityForce",
    "MediaOrganization", "InternationalOrganization", "Company", "Group", "Place", "Country",
    "Region", "City", "Facility", "Vehicle", "WaterBody", "Project",
})
PLACE_CLASSES = frozenset({"Place", "Country", "Region", "City", "Facility", "Vehicle", "WaterBody"})
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
_FIELDS = {"id", "name", "class", "aliases", "wikidata", "parent", "country", "lat", "lon",
           "demonyms", "capital", "source", "note", "geonameid"}


class GazetteerError(ValueError):
    """A bad gazetteer entry: the message names the file and line."""


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    cls: str
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None
    parent: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    demonyms: tuple[str, ...] = ()
    capital: str | None = None
    source: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


_DASHES = re.compile("[\u2010-\u2015\u2212]")
_POSSESSIVE = re.compile(r"'s\b")
_PUNCTUATION = re.compile(r"[^\w\s-]")
_ARTICLE = re.compile(r"^(the|a|an)\s+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Case- and punctuation-folded form of a name, used for look-ups (memoised: the
    same names come back in every article).

    >>> fold("The Baloch Liberation Army's")
    'baloch liberation army'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DASHES.sub("-", text).replace("\u2019", "'")
    text = _POSSESSIVE.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _ARTICLE.sub("", text.strip())
    return _SPACES.sub(" ", text).strip()


@dataclass
class Gazetteer:
    """Entries indexed by id, by folded name/alias and by demonym."""

    entries: dict[str, Entry] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_demonym: dict[str, str] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        for name in entry.names:
            ids = self.by_name[fold(name)]
            if entry.id not in ids:
                ids.append(entry.id)
        for dem in entry.demonyms:
            self.by_demonym.setdefault(fold(dem), entry.id)

    def lookup(self, name: str, classes: Iterable[str] | None = None) -> Entry | None:
        """The entry a name refers to (the first one whose class is allowed)."""
        ids = self.by_name.get(fold(name), [])
        allowed = set(classes) if classes else None
        for i in ids:
            e = self.entries[i]
            if allowed is None or e.cls in allowed:
                return e
        return None

    def country_of_demonym(self, word: str) -> Entry | None:
        i = self.by_demonym.get(fold(word))
        return self.entries.get(i) if i else None

    def ancestors(self, entry_id: str) -> list[str]:
        """Ids of the places containing ``entry_id``, nearest first."""
        out, seen = [], {entry_id}
        e = self.entries.get(entry_id)
        while e is not None:
            nxt = e.parent or (e.country if e.country != e.id else None)
            if not nxt or nxt in seen:
                break
            out.append(nxt)
            seen.add(nxt)
            e = self.entries.get(nxt)
        return out

    def __len__(self) -> int:
        return len(self.entries)


def _entry(obj: object, where: str) -> Entry:
    if not isinstance(obj, dict):
        raise GazetteerError(f"{where}: an entry must be a JSON object")
    unknown = set(obj) - _FIELDS
    if unknown:
        raise GazetteerError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("id", "name", "class"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise GazetteerError(f"{where}: '{key}' is required (a non-empty string)")
    if not _ID.match(obj["id"]):
        raise GazetteerError(f"{where}: id {obj['id']!r} must be lower-case letters, digits, '.', '_' or '-'")
    if obj["class"] not in ENTITY_CLASSES:
        raise GazetteerError(f"{where}: class {obj['class']!r} is not an entity class of the ontology")
    wd = obj.get("wikidata")
    if wd is not None and not (isinstance(wd, str) and _QID.match(wd)):
        raise GazetteerError(f"{where}: wikidata {wd!r} must look like Q123")
    aliases = obj.get("aliases", [])
    demonyms = obj.get("demonyms", [])
    for key, val in (("aliases", aliases), ("demonyms", demonyms)):
        if not isinstance(val, list) or not all(isinstance(a, str) and a.strip() for a in val):
            raise GazetteerError(f"{where}: '{key}' must be a list of non-empty strings")
    for key in ("lat", "lon"):
        v = obj.get(key)
        if v is not None and not isinstance(v, (int, float)):
            raise GazetteerError(f"{where}: '{key}' must be a number")
    for key in ("parent", "country", "capital", "source", "note"):
        v = obj.get(key)
        if v is not None and not (isinstance(v, str) and v.strip()):
            raise GazetteerError(f"{where}: '{key}' must be a non-empty string")
    gid = obj.get("geonameid")
    if gid is not None and (not isinstance(gid, int) or isinstance(gid, bool) or gid <= 0):
        raise GazetteerError(f"{where}: 'geonameid' must be a positive integer")
    if (obj.get("lat") is None) != (obj.get("lon") is None):
        raise GazetteerError(f"{where}: 'lat' and 'lon' go together")
    if obj.get("lat") is not None and not -90 <= obj["lat"] <= 90:
        raise GazetteerError(f"{where}: lat {obj['lat']} out of range")
    if obj.get("lon") is not None and not -180 <= obj["lon"] <= 180:
        raise GazetteerError(f"{where}: lon {obj['lon']} out of range")
    return Entry(id=obj["id"], name=obj["name"].strip(), cls=obj["class"],
                 aliases=tuple(a.strip() for a in aliases), wikidata=wd,
                 parent=obj.get("parent"), country=obj.get("country"),
                 lat=obj.get("lat"), lon=obj.get("lon"),
                 demonyms=tuple(d.strip() for d in demonyms), capital=obj.get("capital"),
                 source=obj.get("source"))


def load_gazetteer(paths: Iterable[Path] | None = None, extra: Iterable[Path] = ()) -> Gazetteer:
    """Load and validate gazetteer files (default: every ``*.jsonl`` in
    ``ontology/gazetteer``), plus ``extra`` files. Later files may not redefine an id."""
    if paths is None:
        folder = ontology_dir() / "gazetteer"
        paths = sorted(folder.glob("*.jsonl"))
    gaz = Gazetteer()
    origin: dict[str, str] = {}
    for path in [*paths, *extra]:
        path = Path(path)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{path}:{n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise GazetteerError(f"{where}: not valid JSON ({e.msg})") from None
            entry = _entry(obj, where)
            if entry.id in gaz.entries:
                raise GazetteerError(f"{where}: duplicate id {entry.id!r} (first defined at {origin[entry.id]})")
            origin[entry.id] = where
            gaz.add(entry)
    for e in gaz.entries.values():
        for key, ref in (("parent", e.parent), ("country", e.country), ("capital", e.capital)):
            if ref and ref not in gaz.entries:
                raise GazetteerError(f"{origin[e.id]}: {key} of {e.id!r} refers to unknown id {ref!r}")
        if e.country and gaz.entries[e.country].cls != "Country":
            raise GazetteerError(f"{origin[e.id]}: country of {e.id!r} is {e.country!r}, which is not a Country")
        if e.parent and gaz.entries[e.parent].cls not in PLACE_CLASSES:
            raise GazetteerError(f"{origin[e.id]}: parent of {e.id!r} is {e.parent!r}, which is not a place")
        if e.capital and gaz.entries[e.capital].cls != "City":
            raise GazetteerError(f"{origin[e.id]}: capital of {e.id!r} is {e.capital!r}, which is not a City")
    return gaz
