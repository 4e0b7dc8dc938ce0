"""Transport KPIs comparable with published figures: cost per transported child, solo share.

*Cost per transported child* (NAO £8,116/yr per SEND pupil in England 2023/24; CCN £9,481/yr
2024/25): the year's route cost (``Summary.transport_cost_gbp_per_year``), personal budgets
(``entitlement.ptb_spend_gbp_per_year``) and boarders' journeys
(``Summary.boarder_transport_gbp_per_year``), over the children they serve: those on a route
(``Summary.transported``), with a budget, and boarding. A solved placement costs its boarders
(``summarise_placement``); a run at the current schools costs the children offered ``boarder``
the same way (:func:`boarder_figures`). Boarders count only when their cost was computed;
otherwise they are left out of both sides.

*Solo share* (CCN: about 9% of pre-16 SEND pupils transported, 2024/25): of the pre-16 children
on a planned route (below ``post16_from_age``), the share riding alone, on no route with anyone
else in any planned session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.summary import Summary, boarder_journey_gbp
from sendplan.routing.transport.eligibility import home_school_m, is_post16
from sendplan.routing.transport.entitlement import Entitlement, ptb_spend_gbp_per_year
from sendplan.routing.transport.plan import TransportPlan


def cost_per_transported_child_gbp(
    summary: Summary, entitlements: Sequence[Entitlement]
) -> float | None:
    """Yearly cost per child helped to school (None: no transport planned, or nobody helped)."""
    if summary.transport_cost_gbp_per_year is None or summary.transported is None:
        return None
    ptb = [e for e in entitlements if e.offer == "ptb"]
    cost = summary.transport_cost_gbp_per_year + ptb_spend_gbp_per_year(ptb)
    children = summary.transported + len(ptb)
    if summary.boarder_transport_gbp_per_year is not None and summary.boarders is not None:
        cost += summary.boarder_transport_gbp_per_year
        children += summary.boarders
    return round(cost / children, 2) if children else None


def boarder_figures(
    scenario: Scenario, entitlements: Sequence[Entitlement], drive: TravelModel
) -> dict[str, Any]:
    """``boarders`` and ``boarder_transport_gbp_per_year`` for the children offered
    ``boarder``, each journey priced on the ``drive`` home-school distance as a placement's
    (:func:`~sendplan.routing.summary.boarder_journey_gbp`)."""
    boarding = {e.child_id: e.school_id for e in entitlements if e.offer == "boarder"}
    metres = home_school_m(scenario, boarding, drive)
    cost = sum(boarder_journey_gbp(m, scenario.policy) for _school, m in metres.values())
    return {"boarders": len(boarding), "boarder_transport_gbp_per_year": round(cost, 2)}


def solo_share(scenario: Scenario, plans: Sequence[TransportPlan]) -> float | None:
    """The share of pre-16 routed children who ride alone (None: no pre-16 child routed)."""
    ages = {c.child_id: c.age for c in scenario.children}
    shared: dict[str, bool] = {}
    for plan in plans:
        for route in plan.routes:
            for child_id in route.child_ids:
                if not is_post16(scenario.policy, ages[child_id]):
                    shared[child_id] = shared.get(child_id, False) or len(route.child_ids) > 1
    if not shared:
        return None
    return sum(not s for s in shared.values()) / len(shared)
