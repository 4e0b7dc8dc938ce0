"""Leicester-like transport instances concentrated on a few real school sites (issue 17).

The default's synthetic cohort spreads N children over Leicester's forty-odd schools, so a small
N gives many tiny schools that any solver plans optimally. Instances like the ones the issue
cites (240 children, 4 schools) keep the cohort (homes, wheelchair users, passenger-assistant
needs, travel-alone, ages and so 45/75-minute limits) and move it onto the K sites its status
quo fills most, every child transport-eligible.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

from sendplan.routing.model import Child, Scenario, School


def concentrate(scenario: Scenario, *, schools: int) -> Scenario:
    """``scenario`` with every child at one of the ``schools`` sites most of its children attend
    (ties by school id): their own if it is one of them, else the nearest that takes their age
    (else the nearest), and transport-eligible. Boarders stay boarders (not on daily routes)."""
    if schools < 1:
        raise ValueError(f"schools must be at least 1, got {schools}")
    count = Counter(c.current_school for c in scenario.children if c.current_school)
    by_id = {s.school_id: s for s in scenario.schools}
    ranked = sorted(count, key=lambda s: (-count[s], s))
    kept = [by_id[s] for s in ranked[:schools] if s in by_id]
    if not kept:
        return scenario
    ids = {s.school_id for s in kept}

    def school_for(child: Child) -> str:
        if child.current_school in ids:
            return child.current_school
        taking = [s for s in kept if s.age_low <= child.age <= s.age_high] or kept
        return min(taking, key=lambda s: (_distance(child, s), s.school_id)).school_id

    children = tuple(
        replace(c, current_school=school_for(c), transport_eligible=True) for c in scenario.children
    )
    return replace(scenario, name=f"{scenario.name}-{len(kept)}-schools", children=children)


def _distance(child: Child, school: School) -> float:
    """Straight-line distance on a local flat projection (enough to rank nearby sites)."""
    dx = (child.lon - school.lon) * math.cos(math.radians((child.lat + school.lat) / 2))
    return math.hypot(dx, child.lat - school.lat)
