"""Read DfE SEN2 releases from a folder into tidy tables for the forecast.

Two file families are read, each by its DfE file name, so a newer release dropped into the folder
is picked up as it is:

* ``sen2_YYYY_all_las_age_caseload.csv`` / ``sen2_YYYY_all_las_estab_caseload.csv`` (the 2022
  and earlier layout: every LA, January 2010 onwards, age bands and establishment types);
* ``sen2_YYYY_caseload.csv`` and ``sen2_YYYY_sen_needs_all_plans.csv`` (the 2023+ layout: one row
  per LA, breakdown and academic year, with special-school columns by type).

Where two releases give the same LA and year, the newer release wins (DfE revises figures).
Years are the January census year: academic year ``202425`` is January 2025.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sendplan.errors import InputError, visible
from sendplan.routing.planning.forecast import AGE_BANDS, band_of_age

# SEN2 age-band labels (2022 layout) to the model's bands.
_AGE_LABELS = {
    "Under 5": "under_5",
    "Age 5 to 10": "5_10",
    "Age 11 to 15": "11_15",
    "Age 16 to 19": "16_19",
    "Age 20 to 25": "20_25",
}
# Special-school establishment types (2022 layout); hospital schools count as LA maintained, as
# the 2023+ layout does.
_ESTAB_TYPES = {
    "Special - LA maintained": "la_maintained",
    "Hospital School": "la_maintained",
    "Special - Academy/free": "academy_free",
    "Special - Academy": "academy_free",
    "Special - Free school": "academy_free",
    "Special - Independent": "independent",
    "Special - Non-maintained": "non_maintained",
}
_SPECIAL_COLUMNS = {
    "special_la_maintained": "la_maintained",
    "special_academy_free": "academy_free",
    "special_independent": "independent",
    "special_non_maintained": "non_maintained",
}
SPECIAL_TYPES = ("la_maintained", "academy_free", "independent", "non_maintained")
# SEN2 need columns to sendplan's need codes.
NEED_COLUMNS = {
    "number_asd": "ASD",
    "number_semh": "SEMH",
    "number_slcn": "SLCN",
    "number_mld": "MLD",
    "number_sld": "SLD",
    "number_pmld": "PMLD",
    "number_pd": "PD",
    "number_hi": "HI",
    "number_vi": "VI",
    "number_msi": "MSI",
    "number_spld": "SpLD",
    "number_oth": "OTH",
}
# Suppressed, not applicable or not available: a gap, not an error.
_GAPS = {"x", "z", "c", "u", "low", ":", ".", ""}


@dataclass(frozen=True)
class Sen2Tables:
    """Tidy SEN2 tables; ``la_code`` is the three-digit old LA code, ``year`` the January.

    * ``plans``: la_code, la_name, year, age_band, plans (EHC plans and statements by age band);
    * ``special``: la_code, year, type, pupils (special-school placements; type ``total`` too);
    * ``special_by_age``: la_code, year, age, plans, special (single years of age, 2023+ layout);
    * ``special_by_need``: la_code, year, need, pupils (special-school placements by primary need);
    * ``plans_by_need``: la_code, year, age_band, need, plans (all plans by primary need);
    * ``ceased``: la_code, year, age_band, ceased, at_max_age (plans ceased in calendar year).
    """

    plans: pd.DataFrame
    special: pd.DataFrame
    special_by_age: pd.DataFrame
    special_by_need: pd.DataFrame
    plans_by_need: pd.DataFrame
    ceased: pd.DataFrame

    def la_codes(self) -> list[str]:
        """LAs with special-school totals, in code order."""
        return sorted(self.special["la_code"].unique())

    def la_name(self, la_code: str) -> str:
        names = self.plans.loc[self.plans["la_code"] == la_code, "la_name"]
        return str(names.iloc[-1]) if len(names) else la_code


def read_sen2(folder: Path) -> Sen2Tables:
    """Every SEN2 file in ``folder`` as tidy tables (InputError naming the file, row, field)."""
    if not folder.is_dir():
        raise InputError("--sen2-dir", f"{visible(str(folder), 80)} is not a folder")
    plans, special, by_age, by_need, plans_need, ceased = [], [], [], [], [], []
    for path in _release_files(folder, "all_las_age_caseload"):
        plans.append(_old_age(path))
    for path in _release_files(folder, "all_las_estab_caseload"):
        special.append(_old_estab(path))
    for path in _release_files(folder, "caseload"):
        new_plans, new_special, new_by_age = _new_caseload(path)
        plans += [new_plans]
        special += [new_special]
        by_age += [new_by_age]
    for path in _release_files(folder, "sen_needs_all_plans"):
        need_special, need_plans = _new_needs(path)
        by_need += [need_special]
        plans_need += [need_plans]
    for path in _release_files(folder, "ceased_plans"):
        ceased.append(_new_ceased(path))
    if not special:
        raise InputError(
            "--sen2-dir",
            f"{visible(str(folder), 80)} holds no SEN2 caseload file "
            "(sen2_YYYY_all_las_estab_caseload.csv or sen2_YYYY_caseload.csv)",
        )
    return Sen2Tables(
        plans=_newest(plans, ["la_code", "year", "age_band"]),
        special=_newest(special, ["la_code", "year", "type"]),
        special_by_age=_newest(by_age, ["la_code", "year", "age"]),
        special_by_need=_newest(by_need, ["la_code", "year", "need"]),
        plans_by_need=_newest(plans_need, ["la_code", "year", "age_band", "need"]),
        ceased=_newest(ceased, ["la_code", "year", "age_band"]),
    )


def _release_files(folder: Path, kind: str) -> list[Path]:
    """``sen2_YYYY_<kind>.csv`` files, oldest release first."""
    pattern = re.compile(rf"sen2_(\d{{4}})_{kind}\.csv")
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := pattern.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def _newest(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Concatenate releases (oldest first), keeping the newest release's row for each key."""
    if not frames:
        return pd.DataFrame(columns=[*keys, "value"])
    table = pd.concat(frames, ignore_index=True)
    return table.drop_duplicates(keys, keep="last").sort_values(keys).reset_index(drop=True)


def _read(path: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError(path.name, f"not a readable CSV ({type(err).__name__})") from None
    for column in needed:
        if column not in table.columns:
            raise InputError(path.name, f"missing column {column!r}", field=column)
    table = table[table["geographic_level"] == "Local authority"].copy()
    table["year"] = [
        _year(path, i, v) for i, v in zip(table.index, table["time_period"], strict=True)
    ]
    return table


def _year(path: Path, index: int, text: str) -> int:
    """January census year: ``2022`` stays, academic ``202425`` is 2025."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    if re.fullmatch(r"\d{6}", text) and int(text[4:]) == (int(text[2:4]) + 1) % 100:
        return int(text[:2] + text[4:])
    raise InputError(
        path.name, f"{visible(text)} is not a year", row=index + 2, field="time_period"
    )


def _count(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    """A count column as floats (gaps NaN); InputError naming the row for anything else."""
    values = []
    for index, text in zip(table.index, table[column], strict=True):
        text = text.strip()
        if text.lower() in _GAPS:
            values.append(float("nan"))
            continue
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            number = -1.0
        if not number >= 0:
            raise InputError(
                path.name, f"{visible(text)} is not a count", row=int(index) + 2, field=column
            )
        values.append(number)
    return pd.Series(values, index=table.index, dtype=float)


def _old_age(path: Path) -> pd.DataFrame:
    table = _read(
        path, ("time_period", "old_la_code", "la_name", "characteristic_age", "Total_all")
    )
    table = table[table["characteristic_age"].isin(_AGE_LABELS)]
    return pd.DataFrame(
        {
            "la_code": table["old_la_code"],
            "la_name": table["la_name"],
            "year": table["year"],
            "age_band": table["characteristic_age"].map(_AGE_LABELS),
            "plans": _count(path, table, "Total_all"),
        }
    )


def _old_estab(path: Path) -> pd.DataFrame:
    table = _read(path, ("time_period", "old_la_code", "establishment_type", "Total_all"))
    table = table[table["establishment_type"].isin(_ESTAB_TYPES)]
    tidy = pd.DataFrame(
        {
            "la_code": table["old_la_code"],
            "year": table["year"],
            "type": table["establishment_type"].map(_ESTAB_TYPES),
            "pupils": _count(path, table, "Total_all"),
        }
    )
    tidy = tidy.groupby(["la_code", "year", "type"])["pupils"].sum(min_count=1).reset_index()
    total = tidy.groupby(["la_code", "year"])["pupils"].sum(min_count=1).reset_index()
    return pd.concat([tidy, total.assign(type="total")], ignore_index=True)


def _new_caseload(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    needed = ("time_period", "old_la_code", "la_name", "breakdown_topic", "breakdown", "ehcplans")
    table = _read(path, needed + tuple(_SPECIAL_COLUMNS) + ("special_total",))
    whole = table[table["breakdown_topic"] == "All EHC plans"]
    special = [
        pd.DataFrame(
            {
                "la_code": whole["old_la_code"],
                "year": whole["year"],
                "type": kind,
                "pupils": _count(path, whole, column),
            }
        )
        for column, kind in {**_SPECIAL_COLUMNS, "special_total": "total"}.items()
    ]
    ages = table[table["breakdown_topic"] == "Child or young persons age"].copy()
    ages["age"] = [_age(text) for text in ages["breakdown"]]
    ages = ages[ages["age"] >= 0]
    by_age = pd.DataFrame(
        {
            "la_code": ages["old_la_code"],
            "la_name": ages["la_name"],
            "year": ages["year"],
            "age": ages["age"],
            "plans": _count(path, ages, "ehcplans"),
            "special": _count(path, ages, "special_total"),
        }
    )
    by_age["age_band"] = [band_of_age(int(a)) for a in by_age["age"]]
    plans = (
        by_age.groupby(["la_code", "la_name", "year", "age_band"])["plans"]
        .sum(min_count=1)
        .reset_index()
    )
    return plans, pd.concat(special, ignore_index=True), by_age.drop(columns=["la_name"])


def _new_needs(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = _read(
        path, ("time_period", "old_la_code", "breakdown_topic", "breakdown", *NEED_COLUMNS)
    )
    special = table[
        (table["breakdown_topic"] == "Type of placement")
        & (table["breakdown"] == "Special - total")
    ]
    ages = table[table["breakdown_topic"] == "Child or young persons age"].copy()
    ages["age"] = [_age(text) for text in ages["breakdown"]]
    ages = ages[ages["age"] >= 0]
    ages["age_band"] = [band_of_age(int(a)) for a in ages["age"]]
    need_special, need_plans = [], []
    for column, need in NEED_COLUMNS.items():
        need_special.append(
            pd.DataFrame(
                {
                    "la_code": special["old_la_code"],
                    "year": special["year"],
                    "need": need,
                    "pupils": _count(path, special, column),
                }
            )
        )
        need_plans.append(
            pd.DataFrame(
                {
                    "la_code": ages["old_la_code"],
                    "year": ages["year"],
                    "age_band": ages["age_band"],
                    "need": need,
                    "plans": _count(path, ages, column),
                }
            )
        )
    plans = pd.concat(need_plans, ignore_index=True)
    plans = plans.groupby(["la_code", "year", "age_band", "need"])["plans"].sum().reset_index()
    return pd.concat(need_special, ignore_index=True), plans


def _new_ceased(path: Path) -> pd.DataFrame:
    needed = ("time_period", "old_la_code", "breakdown_topic", "breakdown", "total_ceased")
    table = _read(path, (*needed, "max_age"))
    ages = table[table["breakdown_topic"] == "Age plan ceased"].copy()
    # "age 20 and over" is the top band's row.
    ages["age"] = [_age(text.replace(" and over", "")) for text in ages["breakdown"]]
    ages = ages[ages["age"] >= 0]
    tidy = pd.DataFrame(
        {
            "la_code": ages["old_la_code"],
            "year": ages["year"],
            "age_band": [band_of_age(int(a)) for a in ages["age"]],
            "ceased": _count(path, ages, "total_ceased"),
            "at_max_age": _count(path, ages, "max_age"),
        }
    )
    return (
        tidy.groupby(["la_code", "year", "age_band"])[["ceased", "at_max_age"]].sum().reset_index()
    )


def _age(text: str) -> int:
    """``age 7`` -> 7, ``under 3`` -> 2; -1 for labels that are not one age (``unknown``)."""
    found = re.fullmatch(r"age (\d+)", text.strip())
    if found:
        return int(found.group(1))
    return 2 if text.strip() == "under 3" else -1


__all__ = ["AGE_BANDS", "NEED_COLUMNS", "SPECIAL_TYPES", "Sen2Tables", "read_sen2"]
