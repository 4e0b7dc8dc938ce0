"""Request (``...In``) and response (``...Out``) models, one pair per resource.

Responses carry pseudonymous ids, counts and figures only: never a child's row, location or
postcode. Job parameters are validated here and stored as canonical JSON (sorted keys), whose
SHA-256 with the scenario id is the request hash that ``Idempotency-Key`` compares.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from starlette.datastructures import URL

from sendplan.api.growth import parse_growth
from sendplan.api.sweep_grid import grid_from
from sendplan.api.tables import Source
from sendplan.api.what_if_params import parse_what_if
from sendplan.errors import InputError

JobKind = Literal["placement", "transport", "both", "forecast", "expansion", "sweep", "changes"]
JobStatus = Literal["queued", "submitted", "running", "succeeded", "failed", "cancelled"]
Role = Literal["panel", "transport", "planner", "admin"]
SEED_MAX = 2**31 - 1
_YEARS = re.compile(r"(\d{4})(?:-(\d{4}))?")
MAX_YEARS = 50


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


# --- scenarios ----------------------------------------------------------------------------------


class ScenarioOut(BaseModel):
    id: str
    name: str
    created_at: dt.datetime
    children: int
    schools: int
    vehicles: int
    content_sha256: str


NEXT_DOC = "the next page's URL (path and query) while there are more rows, else null"


def next_page(url: URL, *, offset: int, limit: int, more: bool) -> str | None:
    """A list's ``next``: ``url`` (path and query) at the following offset, when ``more``."""
    if not more:
        return None
    following = url.include_query_params(offset=offset + limit, limit=limit)
    return f"{following.path}?{following.query}"


class ScenarioListOut(BaseModel):
    items: list[ScenarioOut]
    next: str | None = Field(None, description=NEXT_DOC)


# --- jobs ---------------------------------------------------------------------------------------


SOLVE_KINDS = ("placement", "transport", "both")
# The kinds that plan routes (and take sessions); a changes job re-plans any one's routes.json
# (a re-plan's own too, for the next change).
ROUTED_KINDS = ("transport", "both", "changes")
MAX_CHANGES_CSV_CHARS = 1_000_000  # each of a changes job's CSV texts
CHANGES_NEED = (
    "a changes job needs changes_csv (CHANGES.csv as text), contracts_csv (CONTRACTS.csv as "
    "text: keep the routes whose contract is in force) or both"
)
# The kinds each key applies to (what job_kinds reads for that kind); any other is refused.
APPLIES: dict[str, tuple[str, ...]] = {
    "seed": (*SOLVE_KINDS, "changes"), "mode": SOLVE_KINDS,
    "movers": (*SOLVE_KINDS, "expansion"),
    # placement plans no route, but `sendplan bench api` (loadtest.py) sends iterations with
    # its placement jobs: accepted there until it stops.
    "iterations": (*SOLVE_KINDS, "changes"), "sessions": ROUTED_KINDS,
    "base_job": ("changes",), "changes_csv": ("changes",), "contracts_csv": ("changes",),
    "years": ("forecast", "expansion"), "budget_gbp": ("expansion",), "grid": ("sweep",),
    "growth": ("expansion",),
    "what_if": SOLVE_KINDS,
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "forecast": ("years",), "expansion": ("years",), "sweep": ("grid",),
    "changes": ("base_job",),
}  # fmt: skip
_EXAMPLES = {
    "years": "FIRST-LAST, e.g. 2026-2031", "grid": "GRID.toml keys",
    "base_job": "the id of the routed job to re-plan",
}  # fmt: skip


def _applies(info: ValidationInfo, key: str, kinds: tuple[str, ...], value: object) -> None:
    # kind is declared first, so it is validated (or missing, when invalid) before the rest.
    kind = info.data.get("kind")
    if value is not None and kind is not None and kind not in kinds:
        raise ValueError(f"{key} applies to {' and '.join(kinds)} jobs, not {kind}")


class JobParamsIn(BaseModel):
    """What to run on a scenario. Keys that do not apply to ``kind`` are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "50" and true are not 50 and 1

    kind: JobKind
    seed: int = Field(1, ge=0, le=SEED_MAX)
    iterations: int = Field(300, ge=1, le=100_000)
    sessions: list[Literal["am", "pm"]] | None = Field(None, min_length=1, max_length=2)
    movers: Literal["phase_transfer", "all"] = "phase_transfer"
    mode: Literal["weighted", "lexicographic", "lexicographic_preferences"] = "weighted"
    years: str | None = Field(None, max_length=9, description="FIRST-LAST, e.g. 2026-2031")
    budget_gbp: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False)
    growth: str | float | None = Field(
        None, description="expansion demand growth: trend (default), forecast, forecast-low, "
        "forecast-high, or a yearly rate (0.05)",
    )  # fmt: skip
    # Validated even when absent: a sweep job must have one.
    grid: dict[str, Any] | None = Field(
        None, description="GRID.toml keys (see sendplan sweep)", validate_default=True
    )
    what_if: dict[str, Any] | None = Field(
        None, description="changes to solve with: lock, must_admit, policy, options, base_job "
        "(see sendplan.api.what_if_params)",
    )  # fmt: skip
    base_job: str | None = Field(
        None, pattern=r"^[0-9a-f]{32}$",
        description="a changes job's base: a succeeded transport, both or changes job of the "
        "same scenario, whose routes.json is re-planned",
    )  # fmt: skip
    changes_csv: str | None = Field(
        None, max_length=MAX_CHANGES_CSV_CHARS,
        description="a changes job's CHANGES.csv as text (see sendplan routes --changes)",
    )  # fmt: skip
    contracts_csv: str | None = Field(
        None, max_length=MAX_CHANGES_CSV_CHARS,
        description="a changes job's CONTRACTS.csv as text: the base routes whose contract is "
        "in force stay as they are (see sendplan routes --keep-contracted)",
    )  # fmt: skip

    @field_validator("sessions")
    @classmethod
    def _sessions(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        _applies(info, "sessions", APPLIES["sessions"], value)
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each session at most once")
        return value

    @field_validator("years")
    @classmethod
    def _year_range(cls, value: str | None, info: ValidationInfo) -> str | None:
        _applies(info, "years", ("forecast", "expansion"), value)
        if value is None:
            return None
        found = _YEARS.fullmatch(value)
        if found is None:
            raise ValueError("give a year or a range like 2026-2031")
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        if not 2000 <= first <= last <= 2100 or last - first >= MAX_YEARS:
            raise ValueError(f"give FIRST <= LAST within 2000..2100, at most {MAX_YEARS} years")
        return value

    @field_validator("budget_gbp")
    @classmethod
    def _budget(cls, value: float | None, info: ValidationInfo) -> float | None:
        _applies(info, "budget_gbp", ("expansion",), value)
        return value

    @field_validator("growth", mode="before")
    @classmethod
    def _growth(cls, value: object, info: ValidationInfo) -> object:
        # Checked before the union, so a wrong type is one error on growth, not one per member.
        _applies(info, "growth", ("expansion",), value)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("give trend, forecast, forecast-low, forecast-high or a yearly rate")
        try:
            parse_growth(str(value)[:100], field="growth")
        except InputError as err:
            raise ValueError(err.message) from None
        return value

    @field_validator("grid")
    @classmethod
    def _valid_grid(
        cls, value: dict[str, Any] | None, info: ValidationInfo
    ) -> dict[str, Any] | None:
        _applies(info, "grid", ("sweep",), value)
        if value is None:
            if info.data.get("kind") == "sweep":
                raise ValueError("a sweep job needs grid (GRID.toml keys; {} for the defaults)")
            return None
        return value  # checked in misfit(), which can name the key (grid.growth)

    def misfit(self) -> tuple[str, str] | None:
        """The first key given that does not apply to ``kind``, or the first one it needs that
        is missing, as (field, message); None when the keys fit the kind. (A model validator
        could not name the field; the route answers 422 with it.)"""
        for key in sorted(self.model_fields_set - {"kind"}):
            kinds = APPLIES[key]
            if self.kind not in kinds and getattr(self, key) is not None:
                names = " and ".join((", ".join(kinds[:-1]), kinds[-1])) if kinds[1:] else kinds[0]
                return key, f"applies to {names} jobs, not {self.kind}"
        for key in REQUIRED.get(self.kind, ()):
            if getattr(self, key) is None:
                return key, f"a {self.kind} job needs {key} ({_EXAMPLES[key]})"
        if self.kind == "changes" and self.changes_csv is None and self.contracts_csv is None:
            return "changes_csv", CHANGES_NEED
        if self.grid is not None:
            try:
                grid_from(self.grid, Source("grid"))
            except InputError as err:
                return f"grid.{err.field}" if err.field else "grid", err.message
        if self.what_if is not None:
            try:
                parse_what_if(self.what_if)
            except InputError as err:
                return err.field or "what_if", err.message
        return None

    def stored(self) -> dict[str, Any]:
        """The parameters as stored: defaults filled in, keys that do not apply left out."""
        params = {
            key: value
            for key, value in self.model_dump(mode="json", exclude_none=True).items()
            if key == "kind" or self.kind in APPLIES[key]
        }
        if self.kind in ROUTED_KINDS and self.sessions is None:
            params["sessions"] = ["am"]
        return params


def request_sha256(scenario_id: str, params: dict[str, Any]) -> str:
    """The hash an Idempotency-Key is bound to: the scenario and the canonical parameters."""
    canonical = json.dumps({"scenario_id": scenario_id, "params": params}, sort_keys=True,
                           separators=(",", ":"))  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


class ProgressOut(BaseModel):
    stage: str | None = None
    best_cost_gbp: float | None = Field(
        default=None,
        description="The routing searches' best objectives so far, summed (engine units in "
        "GBP): it falls as the search improves; it is not the plan's cost (see summary.json).",
    )
    elapsed_s: float | None = None


class JobOut(BaseModel):
    id: str
    scenario_id: str
    kind: JobKind
    status: JobStatus
    reason: str | None
    detail: str | None
    params: dict[str, Any]
    progress: ProgressOut
    attempts: int
    cancel_requested: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    files: list[str] = Field(default_factory=list, description="stored result files")


class JobListOut(BaseModel):
    items: list[JobOut]
    next: str | None = Field(None, description=NEXT_DOC)


# --- results ------------------------------------------------------------------------------------


class PlacementsOut(BaseModel):
    job_id: str
    columns: list[str]
    rows: list[dict[str, str]]


# --- audit and keys -----------------------------------------------------------------------------


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    scenario_id: str | None
    job_id: str | None
    detail: str | None


class AuditListOut(BaseModel):
    items: list[AuditOut]
    next: str | None = Field(None, description=NEXT_DOC)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    label: str = Field("", max_length=200, pattern=r"^[\w .,:@()/-]*$")


class KeyOut(BaseModel):
    id: str
    tenant: str
    role: Role
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyCreatedOut(KeyOut):
    secret: str = Field(description="shown once; store it now, only its hash is kept")


class KeyListOut(BaseModel):
    items: list[KeyOut]
