"""Files a user hands us, made to break the readers: JSON and TOML nested past the recursion
limit, JSON numbers NaN, infinite or past the float range, a CSV field past the csv module's
limit, OSM nodes off the globe and OSM files padded with elements the reader does not use. Each
an InputError (or the JSON/TOML error callers report as one) naming the file, never a crash."""

from __future__ import annotations

import json
import tomllib
import tracemalloc
from pathlib import Path

import pytest

from sendplan.errors import InputError, loads_json, loads_toml, read_csv
from sendplan.geo.osm import read_osm_xml

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (DEEP, "nested too deeply"),
        ("NaN", "NaN is not a number JSON allows"),
        ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
        ("1e400", "number 1e400 is out of range"),
        ("9" * 301, "a number of 301 digits is out of range"),
        ("-" + "9" * 5000, "a number of 5001 digits is out of range"),
    ],
)
def test_json_a_reader_cannot_use_is_a_decode_error(text: str, words: str) -> None:
    with pytest.raises(json.JSONDecodeError, match=words):
        loads_json(text)


def test_json_within_the_limits_reads_as_json_does() -> None:
    text = json.dumps({"a": [1, -2.5, "9" * 400, 10**299, 1.7e308, None, True]})
    assert loads_json(text) == json.loads(text)


def test_toml_nested_past_the_recursion_limit_is_a_decode_error() -> None:
    with pytest.raises(tomllib.TOMLDecodeError, match="nested too deeply"):
        loads_toml("a = " + DEEP)
    assert loads_toml("a = [[1], [2]]") == {"a": [[1], [2]]}


def test_a_csv_field_past_the_csv_limit_names_the_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("field,column\nchild_id,Pupil\nroute_id," + "R" * 200_000 + "\n")
    header, rows = read_csv(path)
    assert header == ["field", "column"]
    with pytest.raises(InputError) as err:
        list(rows)
    assert str(err.value).startswith("cols.csv row 3: not valid CSV (field larger than field limit")


def _osm(path: Path, lat: str = "52.6", padding: int = 0) -> Path:
    nodes = f'<node id="1" lat="{lat}" lon="-1.1"/><node id="2" lat="52.61" lon="-1.11"/>'
    way = '<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>'
    path.write_text(f"<osm>{nodes}{'<x/>' * padding}{way}</osm>")
    return path


@pytest.mark.parametrize("lat", ["nan", "inf", "9999", "-90.5"])
def test_an_osm_node_off_the_globe_names_the_node_and_field(tmp_path: Path, lat: str) -> None:
    with pytest.raises(InputError) as err:
        read_osm_xml(_osm(tmp_path / "town.osm", lat=lat))
    assert str(err.value) == f"town.osm, field lat: node '1': lat '{lat}' is not in degrees"


def test_elements_the_osm_reader_does_not_use_are_not_kept(tmp_path: Path) -> None:
    """200,000 unknown top-level elements (a bomb's padding) are dropped as they are read:
    the parse holds about what a small file does, not the 200,000 elements."""
    small = _osm(tmp_path / "small.osm")
    padded = _osm(tmp_path / "padded.osm", padding=200_000)
    peaks = []
    for path in (small, padded):
        tracemalloc.start()
        segments = read_osm_xml(path)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert segments.u.tolist() == [1] and segments.v.tolist() == [2], segments
        assert segments.lat.tolist() == [52.6, 52.61] and segments.tags == (
            {"highway": "residential"},
        )
    assert peaks[1] < peaks[0] + 4_000_000, peaks
