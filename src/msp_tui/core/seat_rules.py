"""Rules on changing a client's seats beyond the count of members.

Consolidated billing (reference §2.4): the provider pays for max(seat minimum, assigned seats) of each
managed plan. A change "results in purchase" when it takes the plan's assigned seats above the minimum,
or grows them while already above it. Service Users may not make such a change.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msp_tui.core.access import Kind, Standing
from msp_tui.core.billing import MANAGED_PLAN
from msp_tui.core.context import Actor
from msp_tui.core.enums import PlanType
from msp_tui.core.errors import Refused
from msp_tui.core.models import Client, Organization, Provider, ProviderPlan

#: The reference's message (ProviderClientsController.UpdateAsync).
SERVICE_USER_PURCHASE = "Service users cannot purchase additional seats."


def results_in_purchase(minimum: int, assigned_before: int, assigned_after: int) -> bool:
    return assigned_after > minimum and assigned_after > assigned_before


def check_seat_change(session: Session, actor: Actor, standing: Standing, org: Organization,
                      new_seats: int) -> None:
    """Raise Refused if this seat change is not allowed for this actor."""
    if standing.kind != Kind.SERVICE_USER or standing.provider_id is None:
        return
    provider = session.get(Provider, standing.provider_id)
    if provider is None or provider.billing_mode != "consolidated":
        return
    plan = MANAGED_PLAN[PlanType(org.plan_type)]
    same_plan = [int(p) for p, managed in MANAGED_PLAN.items() if managed == plan]
    minimum = session.execute(select(ProviderPlan.seat_minimum).where(
        ProviderPlan.provider_id == provider.id, ProviderPlan.plan_type == int(plan))).scalar() or 0
    assigned = session.execute(
        select(func.coalesce(func.sum(Organization.seats), 0))
        .join(Client, Client.organization_id == Organization.id)
        .where(Client.provider_id == provider.id, Organization.plan_type.in_(same_plan))).scalar_one()
    after = assigned - org.seats + new_seats
    if results_in_purchase(minimum, assigned, after):
        raise Refused("seat-minimum", f"{SERVICE_USER_PURCHASE} This change would bill "
                      f"{after - max(minimum, assigned)} more {plan.label} seats (minimum {minimum}, "
                      f"assigned {assigned}); ask a Provider Admin.")
