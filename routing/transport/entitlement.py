"""Who is entitled to what help with home-to-school travel: the policy's rules, as data.

:func:`decide_entitlements` gives every child one offer (``seat``, ``ptb``, ``none`` or
``boarder``) with a short reason; :func:`apply_entitlements` turns the offers into concrete
``Child.transport_eligible`` values, so the planner (which routes eligible children) is unchanged.
The rules, in the order they are applied (thresholds are ``Policy`` fields):

1. *Boarders* (a residential place: ``planner.boarders``) travel home weekly or termly,
   ``boarder_journeys_per_year`` journeys costed in the summary, never on daily routes.
2. *The council's decision.* ``transport_eligible`` True or False is taken as given: True is a
   seat, False none (reason "council decision"). Only None is decided by the rules below.
3. *No school place*: nothing to travel to (none).
4. *Pre-16* (age on 31 August below ``post16_from_age``, 16: compulsory school age). A seat when
   the walking distance to school is beyond the statutory walking distance for the age
   (``walking_distance_under8_miles``, 2 miles under 8; ``walking_distance_from8_miles``,
   3 miles from 8; Education Act 1996 s.444(5), along the shortest route a child can walk
   with reasonable safety): the distance is the walk travel model's, the road network's
   walking graph when one is given. Within it, a seat when the child cannot be expected to walk
   even accompanied because of their SEN or disability (Education Act 1996 Sch. 35B para 2;
   not among the sources held: to verify): a council decides that
   per child, and gives it in ``transport_eligible``; here a *proxy* stands in, a wheelchair
   user or a child who needs a passenger assistant. Otherwise none ("within statutory walking
   distance").
5. *Post-16* (Leicester's post-16 transport policy statement from 2025/26: help only by
   exception, for "complex SEND": terminal illness, independent travel unsafe, specialised
   seating or vehicle such as a tail-lift, medical intervention or personal care likely on the
   journey). Proxy for complex SEND: wheelchair or needs an assistant. A wheelchair user needs a
   specialised vehicle (tail-lift), so a seat; another complex child a personal budget (the
   policy's main form of help) at the post-16 rate, ``ptb_annual_gbp`` + ``ptb_pence_per_mile``
   on the drive distance for two return journeys a day (``eligibility.ptb_gbp_per_year``).
   Not complex: none ("post-16: not complex SEND"). The policy's bus or taxi on financial
   hardship, and Year 13 keeping Year 12 support, need facts not held: give them as the
   council's decision. (Leicester's impact assessment: about 11 young people, 4%, by bus or
   taxi.)

Reasons are short and carry no personal data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Scenario
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.transport.eligibility import (
    home_school_m,
    is_post16,
    ptb_gbp_per_year,
    ptb_rate,
    walking_limit_m,
)
from sendplan.routing.transport.planner import boarders

Offer = Literal["seat", "ptb", "none", "boarder"]
OFFERS: tuple[Offer, ...] = ("seat", "ptb", "none", "boarder")

BOARDER = "boarder: weekly or termly journeys"
COUNCIL = "council decision"
NO_PLACE = "no school place"
PRE16_FAR = "pre-16: beyond statutory walking distance"
PRE16_SEND = "pre-16: cannot walk even accompanied (SEN/disability proxy)"
PRE16_NEAR = "within statutory walking distance"
POST16_VEHICLE = "post-16: complex SEND, specialised vehicle (proxy)"
POST16_PTB = "post-16: complex SEND, personal budget (proxy)"
POST16_NO = "post-16: not complex SEND"


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One child's offer. ``walk_distance_m``: home to school on the walk model (None without a
    school or for a boarder); ``ptb_gbp_per_year``: the budget when the offer is ``ptb``."""

    child_id: str
    school_id: str | None
    offer: Offer
    reason: str
    walk_distance_m: float | None = None
    ptb_gbp_per_year: float | None = None


def school_of_every_child(
    scenario: Scenario, placement: PlacementPlan | None
) -> dict[str, str | None]:
    """Every child's school whatever their eligibility: from the placement, else
    ``current_school`` (None: no place)."""
    if placement is None:
        return {c.child_id: c.current_school for c in scenario.children}
    placed = {a.child_id: a.school_id for a in placement.assignments}
    return {c.child_id: placed.get(c.child_id) for c in scenario.children}


def complex_send_proxy(child: Child) -> bool:
    """The stand-in for complex SEND (and, pre-16, for a child who cannot walk to school even
    accompanied): a wheelchair user or a child who needs a passenger assistant."""
    return child.wheelchair or child.needs_assistant


def decide_entitlements(
    scenario: Scenario,
    placement: PlacementPlan | None,
    walk: TravelModel,
    *,
    drive: TravelModel | None = None,
) -> tuple[Entitlement, ...]:
    """Every child's offer by the rules of the module docstring, in child-id order.

    Walking distances come from ``walk`` and personal-budget mileage from ``drive`` (default
    ``walk``), each in one batched call for the children who need it.
    """
    policy = scenario.policy
    school_of = school_of_every_child(scenario, placement)
    boarding = boarders(scenario, placement)
    children = sorted(scenario.children, key=lambda c: c.child_id)
    to_decide = {
        c.child_id: school_of[c.child_id]
        for c in children
        if c.child_id not in boarding and c.transport_eligible is None
    }
    walked = home_school_m(scenario, to_decide, walk)
    ptb_ids = {
        c.child_id: school_of[c.child_id]
        for c in children
        if c.child_id in walked
        and is_post16(policy, c.age)
        and complex_send_proxy(c)
        and not c.wheelchair
    }
    driven = home_school_m(scenario, ptb_ids, drive or walk)
    out = []
    for c in children:
        if c.child_id in boarding:
            out.append(Entitlement(c.child_id, boarding[c.child_id], "boarder", BOARDER))
            continue
        school_id = school_of[c.child_id]
        if c.transport_eligible is not None:
            offer: Offer = "seat" if c.transport_eligible else "none"
            out.append(Entitlement(c.child_id, school_id, offer, COUNCIL))
            continue
        if c.child_id not in walked:
            out.append(Entitlement(c.child_id, None, "none", NO_PLACE))
            continue
        school_id, metres = walked[c.child_id]
        if c.child_id in driven:
            pence, annual = ptb_rate(policy, c.age)
            ptb = ptb_gbp_per_year(
                driven[c.child_id][1],
                pence_per_mile=pence,
                annual_gbp=annual,
                days=policy.school_days_per_year,
            )
            out.append(Entitlement(c.child_id, school_id, "ptb", POST16_PTB, metres, ptb))
            continue
        offer, reason = _rule(c, metres, scenario)
        out.append(Entitlement(c.child_id, school_id, offer, reason, metres))
    return tuple(out)


def _rule(child: Child, walk_m: float, scenario: Scenario) -> tuple[Offer, str]:
    """A seat or nothing for an undecided child with a school (the ``ptb`` case aside)."""
    policy = scenario.policy
    if is_post16(policy, child.age):
        return ("seat", POST16_VEHICLE) if child.wheelchair else ("none", POST16_NO)
    limit = walking_limit_m(
        child.age,
        under8_miles=policy.walking_distance_under8_miles,
        from8_miles=policy.walking_distance_from8_miles,
    )
    if walk_m > limit:
        return "seat", PRE16_FAR
    if complex_send_proxy(child):
        return "seat", PRE16_SEND
    return "none", PRE16_NEAR


def apply_entitlements(scenario: Scenario, entitlements: Sequence[Entitlement]) -> Scenario:
    """The scenario with every undecided child's ``transport_eligible`` set: True for a seat,
    False otherwise. Council decisions and every other field are unchanged."""
    offers = {e.child_id: e.offer for e in entitlements}
    children = []
    for c in scenario.children:
        if c.transport_eligible is None:
            if c.child_id not in offers:
                raise ValueError(f"child {c.child_id} has no entitlement decided")
            c = replace(c, transport_eligible=offers[c.child_id] == "seat")
        children.append(c)
    return replace(scenario, children=tuple(children))


def ptb_spend_gbp_per_year(entitlements: Sequence[Entitlement]) -> float:
    """The yearly spend on the personal budgets offered."""
    return sum(e.ptb_gbp_per_year or 0.0 for e in entitlements if e.offer == "ptb")


def summarise_entitlements(entitlements: Sequence[Entitlement]) -> dict[str, Any]:
    """Counts by offer and by reason, and the personal budgets' yearly spend (GBP)."""
    by_offer = Counter(e.offer for e in entitlements)
    by_reason = Counter(e.reason for e in entitlements)
    return {
        "entitlements_by_offer": {o: by_offer[o] for o in OFFERS},
        "entitlements_by_reason": dict(sorted(by_reason.items())),
        "ptb_gbp_per_year": round(ptb_spend_gbp_per_year(entitlements), 2),
    }
