"""Write data/flags_profile.csv: per-need rates for the flags SEN2 does not publish per child.

Transport eligibility is not drawn: the policy's rules decide it at solve time (statutory walking
distance by age, post-16 by exception; see data/SOURCES.md), so there is no transport_eligible rate.
"""

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

NEEDS = ("ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "PD", "HI", "VI", "MSI", "SpLD", "OTH")
data = Path(sys.argv[1])
facts = list(csv.DictReader((data / "cohort_profile.csv").open(encoding="utf-8")))
special = {r["need"]: int(r["count"]) for r in facts if r["table"] == "special_need"}
independent = {
    r["need"]: int(r["count"])
    for r in facts
    if r["table"] == "special_need_placement" and r["placement"] == "independent"
}
res_eng = next(
    int(r["count"])
    for r in facts
    if r["table"] == "residential_placements" and r["area"] == "England"
)
tot_eng = next(
    int(r["count"]) for r in facts if r["table"] == "special_total" and r["area"] == "England"
)

rows: list[dict[str, object]] = []


def add(flag: str, rates: dict[str, float], basis: str, why: Callable[[str], str]) -> None:
    for need in NEEDS:
        rows.append(
            {"flag": flag, "need": need, "rate": rates[need], "basis": basis, "why": why(need)}
        )


def per(default: float, **over: float) -> dict[str, float]:
    return {n: over.get(n, default) for n in NEEDS}


add(
    "wheelchair",
    per(0.01, PMLD=0.8, PD=0.5, MSI=0.3, SLD=0.15),
    "assumption",
    lambda n: {
        "PMLD": "most children with profound and multiple learning difficulties use a wheelchair",
        "PD": "about half of children with a physical disability as primary need use a wheelchair",
        "MSI": "multi-sensory impairment often comes with limited mobility",
        "SLD": "a minority of children with severe learning difficulties have mobility needs",
    }.get(n, "wheelchair use is rare where the primary need is not physical or profound"),
)
add(
    "needs_assistant",
    per(
        0.15,
        PMLD=0.9,
        SLD=0.6,
        MSI=0.6,
        PD=0.5,
        SEMH=0.4,
        ASD=0.25,
        VI=0.2,
        MLD=0.1,
        HI=0.1,
        SpLD=0.05,
    ),
    "assumption",
    lambda n: {
        "PMLD": "medical and personal care on the journey",
        "SLD": "supervision and personal care",
        "MSI": "communication and guiding support",
        "PD": "handling and medical needs",
        "SEMH": "behaviour support and separation from other passengers",
        "ASD": "some autistic children need support with transitions and sensory overload",
    }.get(n, "a passenger assistant is needed only for a minority"),
)
add(
    "travel_alone",
    per(0.0, SEMH=0.10, ASD=0.03),
    "assumption",
    lambda n: (
        "applied only to children aged 11+ who need neither a wheelchair nor an assistant: "
        "some secondary pupils must travel alone (conflict with peers) or are travel-trained"
        if n in ("SEMH", "ASD")
        else "assumed never required to travel alone"
    ),
)
add(
    "residential_need",
    per(round(res_eng / tot_eng, 4)),
    "SEN2 (England)",
    lambda n: (
        f"England 2024/25 residential placements in special schools {res_eng} / special-school "
        f"EHC plans {tot_eng}; Leicester reports 0 since 2022/23 (18 in 2021/22); "
        "no need breakdown is published, so the rate is flat"
    ),
)
add(
    "states_preferences",
    per(0.6),
    "assumption",
    lambda n: (
        "about 60% of parents name 1-3 ranked special schools (illustrative; no published figure)"
    ),
)
add(
    "independent_first_preference",
    {n: round(independent[n] / special[n], 4) for n in NEEDS},
    "SEN2 (proxy)",
    lambda n: (
        f"share of Leicester special-school children with this need placed in independent "
        f"special schools, 2024/25: {independent[n]} / {special[n]}; "
        "actual placements stand in for parental preference"
    ),
)

buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=["flag", "need", "rate", "basis", "why"], lineterminator="\n")
w.writeheader()
w.writerows(rows)
(data / "flags_profile.csv").write_text(buf.getvalue(), encoding="utf-8")
