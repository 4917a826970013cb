"""Who may post what (the matrix of API.md), as pure functions of a key's kind and scope."""

from __future__ import annotations

from shared.orgunits import OrgTree

KINDS = ("union", "bank", "business", "viewer", "admin")
COMMUNE = "commune"

# event type -> kinds that may post it (extra conditions in may_post)
MATRIX: dict[str, frozenset[str]] = {
    "participant.registered": frozenset({"union"}),
    "participant.selected": frozenset({"union"}),
    "participant.rejected": frozenset({"union"}),
    "participant.evaluated": frozenset({"union"}),
    "participant.commended": frozenset({"union"}),
    "participant.trained": frozenset({"union"}),
    "participant.funded": frozenset({"bank", "union"}),
    "participant.supported": frozenset({"business", "union"}),
    "model.replicated": frozenset({"union"}),
    # Further limited to the posting agency, or admin. A viewer key only reads, even one held by the
    # agency that posted the event.
    "event.retracted": frozenset({"union", "bank", "business", "admin"}),
    # Further limited to the agency that recorded the loan's funding: a bank for its own loans, a union for
    # the 120-fund loans it made itself (the only fundings a union posts).
    "loan.repaid": frozenset({"bank", "union"}),
    "loan.classified": frozenset({"bank", "union"}),
}
LOAN_EVENTS = frozenset({"loan.repaid", "loan.classified"})
DISTRICT_OR_ABOVE = frozenset({"participant.selected", "participant.rejected", "participant.evaluated",
                               "participant.commended"})


def is_commune_or_above(tree: OrgTree, scope: str) -> bool:
    """A commune, or a unit with communes below it (the hierarchy has any depth)."""
    return any((u := tree.get(c)) is not None and u.level == COMMUNE for c in tree.descendants(scope))


def is_above_commune(tree: OrgTree, scope: str) -> bool:
    """'District level or above': the scope holds communes below it (province > commune works too)."""
    return any((u := tree.get(c)) is not None and u.level == COMMUNE
               for c in tree.descendants(scope) if c != scope)


def may_post(tree: OrgTree, kind: str, scope: str, event_type: str, *, funding_source: str | None = None,
             posted_by_agency: str | None = None, agency: str | None = None,
             lender_agency: str | None = None) -> bool:
    """Whether a key of `kind` scoped at `scope` may post `event_type` (scope of the participant apart)."""
    if kind not in MATRIX.get(event_type, frozenset()):
        return False
    if event_type == "participant.registered":
        return is_commune_or_above(tree, scope)
    if event_type in DISTRICT_OR_ABOVE:
        return is_above_commune(tree, scope)
    if event_type == "participant.funded" and kind == "union":
        return funding_source == "youth_union_120"
    if event_type in LOAN_EVENTS:
        return agency is not None and agency == lender_agency
    if event_type == "event.retracted":
        return kind == "admin" or (agency is not None and agency == posted_by_agency)
    return True
