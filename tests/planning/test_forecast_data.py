"""SEN2 reading, forecast parameter files, and the back-test figures on the real releases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sendplan.bench.forecast import backtest_all
from sendplan.data.forecast_params import (
    DEFAULT_PARAMS,
    fit_for_la,
    params_csv,
    read_params,
)
from sendplan.data.sen2 import read_sen2
from sendplan.errors import InputError
from sendplan.routing.planning.forecast import AGE_BANDS

SEN2 = Path(__file__).resolve().parents[3] / "shared" / "data" / "sen_statistics"
needs_shared = pytest.mark.skipif(not SEN2.is_dir(), reason="shared/data/sen_statistics absent")

OLD_AGE_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,characteristic_age,Total_st,Total_st_pc,"
    "Total_ehc,Total_ehc_pc,Total_all,Total_all_pc\n"
)
OLD_ESTAB_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,establishment_type,establishment_group,"
    "Total_st,Total_st_pc,Total_ehc,Total_ehc_pc,Total_all,Total_all_pc\n"
)


def write_release(folder: Path, *, special: str = "40") -> Path:
    ages = "".join(
        f"{y},Calendar year,Local authority,E,England,R,R,999,E1,Testshire,{label},z,z,1,1,{n},1\n"
        for y in (2020, 2021)
        for label, n in (
            ("Under 5", 5),
            ("Age 5 to 10", 60),
            ("Age 11 to 15", 50),
            ("Age 16 to 19", 30),
            ("Age 20 to 25", 10),
        )
    )
    (folder / "sen2_2022_all_las_age_caseload.csv").write_text(OLD_AGE_HEADER + ages)
    estab = "".join(
        f"{y},Calendar year,Local authority,E,England,R,R,999,E1,Testshire,{kind},Special school,"
        f"z,z,1,1,{n},1\n"
        for y, kind, n in (
            (2020, "Special - LA maintained", "30"),
            (2020, "Hospital School", "2"),
            (2020, "Special - Independent", "5"),
            (2021, "Special - LA maintained", special),
        )
    )
    (folder / "sen2_2022_all_las_estab_caseload.csv").write_text(OLD_ESTAB_HEADER + estab)
    return folder


def test_read_sen2_tidies_bands_and_special_types(tmp_path: Path) -> None:
    tables = read_sen2(write_release(tmp_path))
    plans = tables.plans.set_index(["year", "age_band"])["plans"]
    assert plans[(2021, "5_10")] == 60 and set(tables.plans["age_band"]) == set(AGE_BANDS)
    special = tables.special.set_index(["year", "type"])["pupils"]
    # Hospital schools count as LA maintained, as the 2023+ releases do.
    assert special[(2020, "la_maintained")] == 32
    assert special[(2020, "total")] == 37
    assert tables.la_codes() == ["999"] and tables.la_name("999") == "Testshire"


def test_read_sen2_names_file_row_and_field_of_a_bad_count(tmp_path: Path) -> None:
    write_release(tmp_path, special="lots")
    with pytest.raises(InputError) as caught:
        read_sen2(tmp_path)
    assert str(caught.value).startswith("sen2_2022_all_las_estab_caseload.csv row 5")
    assert caught.value.field == "Total_all"


def test_read_sen2_refuses_a_folder_without_releases(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no SEN2 caseload file"):
        read_sen2(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        read_sen2(tmp_path / "missing")


def test_shipped_parameters_load_and_round_trip(tmp_path: Path) -> None:
    shipped = read_params(DEFAULT_PARAMS)
    assert shipped.origin_year == 2025 and shipped.origin_special == 1345
    assert sum(shipped.origin_plans.values()) == 4057  # SEN2 2025: Leicester's EHC plans
    assert len(shipped.error_log_hi) == 6
    assert all(
        lo < 0 < hi for lo, hi in zip(shipped.error_log_lo, shipped.error_log_hi, strict=True)
    )
    copy = tmp_path / "p.csv"
    copy.write_text(params_csv(shipped))
    assert read_params(copy) == shipped


def test_a_params_file_overrides_only_its_rows(tmp_path: Path) -> None:
    shipped = read_params(DEFAULT_PARAMS)
    override = tmp_path / "o.csv"
    override.write_text("parameter,key,value\nspecial_growth,,0.01\ncontinuation,5_10,1.3\n")
    changed = read_params(override, base=shipped)
    assert changed == replace(
        shipped, special_growth=0.01, continuation={**shipped.continuation, "5_10": 1.3}
    )


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("continuation,6_9,1.0", "row 2, field key"),
        ("special_growth,,fast", "row 2, field value"),
        ("warp_speed,,1", "row 2, field parameter"),
        ("ceased_rate,5_10,3", "ceased_rate must lie in 0..1"),
    ],
)
def test_bad_params_rows_are_named(tmp_path: Path, row: str, where: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"parameter,key,value\n{row}\n")
    with pytest.raises(InputError, match=where):
        read_params(bad, base=read_params(DEFAULT_PARAMS))


@needs_shared
def test_sen2_years_match_across_releases() -> None:
    tables = read_sen2(SEN2)
    special = tables.special[tables.special["type"] == "total"]
    leicester = special[special["la_code"] == "856"].set_index("year")["pupils"]
    # The 2022 release (calendar years) and the 2025 release (academic years) agree.
    assert leicester[2019] == 1091 and leicester[2022] == 1205 and leicester[2025] == 1345
    assert len(tables.la_codes()) >= 150


@needs_shared
def test_shipped_parameters_are_the_fit_from_shared() -> None:
    fitted = fit_for_la(read_sen2(SEN2), "856")
    shipped = read_params(DEFAULT_PARAMS)
    assert fitted.origin_plans == shipped.origin_plans
    for band in AGE_BANDS:
        assert fitted.continuation[band] == pytest.approx(shipped.continuation[band], rel=1e-4)
    assert fitted.special_growth == pytest.approx(shipped.special_growth, rel=1e-4)
    assert fitted.ceased_rate == shipped.ceased_rate
    # Leicester, 2024: 124 plans ceased at 16-19 against 830 held in January.
    assert shipped.ceased_rate["16_19"] == pytest.approx(124 / 830, abs=1e-4)


@needs_shared
def test_leicester_back_test_figures_are_reproduced() -> None:
    result = backtest_all(read_sen2(SEN2), fit_to=2022, predict=2025, la_codes=["856"])
    assert result["actual"] == 1345
    assert result["forecast"] == pytest.approx(1437.25, abs=0.01)
    assert result["median_mape_pct"] == 6.86
    assert (
        result["flat_median_mape_pct"],
        result["naive_median_mape_pct"],
        result["linear_median_mape_pct"],
    ) == (10.41, 2.8, 2.45)


@needs_shared
def test_all_la_back_test_beats_every_baseline() -> None:
    result = backtest_all(read_sen2(SEN2), fit_to=2019, predict=2022)
    assert result["n_las"] == 148
    assert (result["median_mape_pct"], result["p90_mape_pct"]) == (5.07, 13.78)
    assert result["beats_every_baseline"] is True
    for baseline in ("flat", "naive", "linear"):
        assert result["median_mape_pct"] < result[f"{baseline}_median_mape_pct"]
        assert result["p90_mape_pct"] < result[f"{baseline}_p90_mape_pct"]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("special_growth,,1e308", "value", "outside -1..1"),
        ("special_growth,,1.0", None, None),  # the bound itself is allowed
        ("need_growth,XYZ,0.02", "key", "is not a need code"),
        ("need_share,primary:XYZ,0.5", "key", "is not phase:need"),
        ("origin_year,,1999", "value", "outside 2000..2100"),
    ],
)
def test_parameter_files_are_bounded_and_name_row_and_field(
    tmp_path: Path, row: str, field: str | None, words: str | None
) -> None:
    path = tmp_path / "params.csv"
    path.write_text(f"parameter,key,value\n{row}\n", encoding="utf-8")
    if field is None:
        read_params(path, base=read_params(DEFAULT_PARAMS))
        return
    with pytest.raises(InputError) as caught:
        read_params(path, base=read_params(DEFAULT_PARAMS))
    assert (caught.value.row, caught.value.field) == (2, field)
    assert words in str(caught.value)
