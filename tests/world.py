"""A provider with one person of every standing the access table knows, built through real use cases."""

from __future__ import annotations

from dataclasses import dataclass

from msp_tui.core.access import Kind
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.permissions import CUSTOM_FLAGS
from msp_tui.core.services import accounts, clients, members, staff
from tests.conftest import PASSWORD, make_provider


@dataclass
class World:
    db: Database
    org_id: object
    actors: dict  # label -> Actor
    kinds: dict  # label -> Kind expected towards the client org


def join(db: Database, email: str, secret: str) -> Actor:
    actor, _ = accounts.accept_invitations(db, email=email, secret=secret, password=PASSWORD,
                                           name=email.split("@")[0])
    return actor


def build_world(db: Database) -> World:
    admin = make_provider(db)
    org = clients.create_client(db, admin, name="Contoso", plan="enterprise-monthly", seats=20,
                                owner_email="owner@contoso.example")
    secrets = staff.invite(db, admin, ["svc@msp.example", "accepted@msp.example"], "service").secrets
    service = join(db, "svc@msp.example", secrets["svc@msp.example"])
    staff.confirm(db, admin, "svc@msp.example")
    accepted = join(db, "accepted@msp.example", secrets["accepted@msp.example"])
    # An invited person who already has an account elsewhere (a member of the client).
    secret = members.invite(db, admin, org.id, ["invited@msp.example"], "user").secrets["invited@msp.example"]
    invited = join(db, "invited@msp.example", secret)  # accepts the membership, not yet confirmed
    staff.invite(db, admin, ["invited@msp.example"], "admin")  # a staff invitation still pending
    secrets = {"owner@contoso.example": org.owner_invite_secret}
    secrets |= members.invite(db, admin, org.id, ["admin@contoso.example"], "admin").secrets
    secrets |= members.invite(db, admin, org.id, ["user@contoso.example"], "user").secrets
    secrets |= members.invite(db, admin, org.id, ["custom-all@contoso.example"], "custom",
                              frozenset(CUSTOM_FLAGS)).secrets
    secrets |= members.invite(db, admin, org.id, ["custom-none@contoso.example"], "custom", frozenset()).secrets
    people = {}
    for email in ["owner@contoso.example", "admin@contoso.example", "user@contoso.example",
                  "custom-all@contoso.example", "custom-none@contoso.example"]:
        people[email] = join(db, email, secrets[email])
    members.confirm(db, admin, org.id, list(people))
    # A stranger: an account that once was a member and was removed, so it has no tie left.
    secret = members.invite(db, admin, org.id, ["stranger@else.example"], "user").secrets["stranger@else.example"]
    stranger = join(db, "stranger@else.example", secret)
    members.remove(db, admin, org.id, ["stranger@else.example"])
    for a in [admin, service, accepted, invited, stranger, *people.values()]:
        a.provider_id = admin.provider_id  # the provider each of them is trying to reach
    actors = {
        "provider admin": admin, "service user": service, "staff accepted": accepted,
        "staff invited": invited, "owner": people["owner@contoso.example"],
        "admin": people["admin@contoso.example"], "user": people["user@contoso.example"],
        "custom (all flags)": people["custom-all@contoso.example"],
        "custom (no flags)": people["custom-none@contoso.example"], "stranger": stranger,
    }
    kinds = {
        "provider admin": Kind.PROVIDER_ADMIN, "service user": Kind.SERVICE_USER,
        "staff accepted": Kind.STAFF_ACCEPTED, "staff invited": Kind.STAFF_INVITED, "owner": Kind.OWNER,
        "admin": Kind.ADMIN, "user": Kind.USER, "custom (all flags)": Kind.CUSTOM,
        "custom (no flags)": Kind.CUSTOM, "stranger": Kind.STRANGER,
    }
    return World(db, org.id, actors, kinds)
