"""The forecast's defaults, apart from its parameters and their fit (``forecast_params`` and
``api/forecasting.py`` re-export them), so the command line can show them in ``--help`` without
importing pandas."""

from __future__ import annotations

from pathlib import Path

# The authority whose fitted parameters ship in data/forecast_leicester.csv (old 3-digit LA code).
LEICESTER = "856"
# Where SEN2 releases are read from when none is given: the shared data beside the checkout.
DEFAULT_SEN2_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "sen_statistics"
