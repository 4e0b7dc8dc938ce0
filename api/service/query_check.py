"""Unknown query parameters are refused, not ignored.

``GET /jobs?scenario=...`` (for ``scenario_id``) or ``?limt=10`` would otherwise answer as if
nothing had been asked: every job, or the default page. :func:`refuse_unknown_query` answers 422
naming the first parameter the route does not take, and listing those it does; routes that need
credentials take :func:`refuse_unknown_query_of_caller`, which checks them first, so a request
without them is still a 401 and learns nothing of the route.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from sendplan.api.service.auth import PrincipalDep
from sendplan.api.service.problems import field_problem
from sendplan.errors import printable

NAME_SHOWN = 40  # characters of an unknown name echoed back


def _names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _names(sub)
    return frozenset(names)


async def refuse_unknown_query(request: Request) -> None:
    """422 for a query parameter the matched route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _names(route.dependant)  # a walk of a few objects; routes are not hashable
    for name in request.query_params:
        if name not in known:
            takes = ", ".join(sorted(known)) if known else "none"
            raise field_problem(
                printable(name)[:NAME_SHOWN] or "(empty)",
                f"unknown query parameter; this route takes: {takes}",
            )


async def refuse_unknown_query_of_caller(request: Request, _caller: PrincipalDep) -> None:
    """:func:`refuse_unknown_query` once the caller's credentials are checked (the route's own
    check of them reuses this one's answer)."""
    await refuse_unknown_query(request)
