"""Rules on changing a client's seats beyond the count of members (the billing issue extends this)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from msp_tui.core.access import Standing
from msp_tui.core.context import Actor
from msp_tui.core.models import Organization


def check_seat_change(session: Session, actor: Actor, standing: Standing, org: Organization,
                      new_seats: int) -> None:
    """Raise Refused if this seat change is not allowed for this actor. Nothing more yet."""
    return None
