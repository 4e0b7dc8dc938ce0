"""Regenerate ``data/forecast_leicester.csv`` from the SEN2 releases in ../shared.

    .venv/bin/python data/tools/fit_forecast.py [--sen2-dir DIR] [--la 856]

Fits Leicester (856) to its latest January, shrunk to the pooled fit of every English LA, and
adds the uncertainty band: 10th/90th percentiles of log(actual / forecast) of special-school
totals over every LA and origin 2015-2021 (rolling origin back-test, horizons 1-6). About 80 s.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from sendplan.bench.forecast import error_quantiles
from sendplan.data.forecast_params import DEFAULT_PARAMS, LEICESTER, fit_for_la, params_csv
from sendplan.data.sen2 import read_sen2

ROOT = Path(__file__).resolve().parents[2]
SHARED_SEN2 = ROOT.parent / "shared" / "data" / "sen_statistics"
NOTES = {
    "origin_year": "January the projection starts from (latest SEN2 year for the LA)",
    "origin_special": "special-school placements that January (SEN2 caseload special_total)",
    "origin_plans": "EHC plans by age band that January (SEN2 caseload by age)",
    "continuation": "fitted: next count / aged-on base, geometric mean of the last 3 "
    "transitions, shrunk 80% to all English LAs",
    "special_growth": "fitted: yearly log growth of special totals (last 4 Januaries), shrunk "
    "80% to all English LAs",
    "damping": "continuation damped to the level-holding ratio by damping**h",
    "growth_damping": "special growth damped by growth_damping**h (back-tests to 2019 chose 1)",
    "special_share": "special placements per plan by band (SEN2 single-year ages)",
    "ageing_out": "share of the band at its top age (SEN2 single-year ages)",
    "ceased_rate": "plans ceased in calendar 2024 (not at maximum age) / January 2024 plans "
    "by band (SEN2 ceased_plans by age)",
    "special_by_type": "special placements by type that January",
    "need_share": "special need mix by phase: all-plans mix by age reweighted to the special "
    "need mix (SEN2 sen_needs_all_plans)",
    "error_log_lo": "10th percentile of log(actual/forecast) by horizon, all LAs, origins "
    "2015-2021",
    "error_log_hi": "90th percentile of log(actual/forecast) by horizon, all LAs, origins "
    "2015-2021",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sen2-dir", type=Path, default=SHARED_SEN2)
    parser.add_argument("--la", default=LEICESTER)
    parser.add_argument("--out", type=Path, default=DEFAULT_PARAMS)
    args = parser.parse_args()
    tables = read_sen2(args.sen2_dir)
    params = fit_for_la(tables, args.la)
    lo, hi = error_quantiles(tables, origins=range(2015, 2022), horizons=6)
    params = replace(params, error_log_lo=lo, error_log_hi=hi)
    args.out.write_text(params_csv(params, notes=NOTES), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
