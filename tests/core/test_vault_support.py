"""Shared setup for the vault tests: a client whose Owner and User have real accounts (no tests here)."""

from __future__ import annotations

from dataclasses import dataclass

from msp_tui.core.enums import CollectionAccess
from msp_tui.core.services import accounts, clients, collections, members, vault

OWNER_PASSWORD = "owner master password 42"
USER_PASSWORD = "user master password 42"
NO_WAIT = accounts.LoginThrottle(sleep=lambda seconds: None)


@dataclass
class Client:
    name: str
    organization_id: object
    owner: object
    user: object
    shared: object   # collection id the user can edit
    readonly: object  # collection id the user can view except passwords
    default: object   # the default collection (owner only)


def make_client(db, admin, name: str = "Contoso Dental") -> Client:
    c = clients.create_client(db, admin, name=name, plan="enterprise-monthly", seats=10,
                              owner_email="owner@contoso.example")
    owner, _ = accounts.accept_invitations(db, email="owner@contoso.example", secret=c.owner_invite_secret,
                                           password=OWNER_PASSWORD,
                                           name="Olga Owner")
    members.confirm(db, admin, c.id, ["owner@contoso.example"])
    secret = members.invite(db, admin, c.id, ["user@contoso.example"], role="user").secrets["user@contoso.example"]
    user, _ = accounts.accept_invitations(db, email="user@contoso.example", secret=secret, password=USER_PASSWORD,
                                          name="Uma User")
    members.confirm(db, admin, c.id, ["user@contoso.example"])
    shared = collections.create_collection(db, admin, c.id, "Shared logins").id
    readonly = collections.create_collection(db, admin, c.id, "Break-glass").id
    collections.set_member_access(db, admin, c.id, shared, "user@contoso.example", CollectionAccess.CAN_EDIT)
    collections.set_member_access(db, admin, c.id, readonly, "user@contoso.example",
                                  CollectionAccess.CAN_VIEW_EXCEPT_PASSWORDS)
    default = next(x.id for x in collections.list_collections(db, admin, c.id) if x.name == "Default collection")
    return Client(name, c.id, owner, user, shared, readonly, default)


def add_login(db, actor, client: Client, name: str, password: str, collection) -> object:
    return vault.create_item(db, actor, type="login", name=name, client=client.organization_id,
                             collection_ids=[collection],
                             fields={"username": f"{name.lower().replace(' ', '.')}@contoso.example",
                                     "password": password, "url": "https://example.com"})
