"""The one list of places the app can open and of commands the palette offers ("area: verb").

Wiring in another screen is one line here. An area's factory gets the app and keyword arguments:

    Area("timeline", "Event timeline", _lazy("msp_tui.screens.timeline", "TimelineScreen", db_actor=True)),

Screens that belong to one client (members, vault, billing, policies) go in CLIENT_SCREENS; they open
with `app.open_client(org_id, tab="vault")`, on top of that client's detail screen.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.screen import Screen

from msp_tui.core.access import Action


def _lazy(module: str, cls: str, *, db_actor: bool = False) -> Callable[..., Screen]:
    """A factory that imports the screen only when it is opened. With db_actor=True the screen is
    built as `Cls(app.db, app.actor, **kwargs)`, otherwise as `Cls(**kwargs)`."""

    def make(app, **kwargs) -> Screen:
        screen_cls = getattr(importlib.import_module(module), cls)
        return screen_cls(app.db, app.actor, **kwargs) if db_actor else screen_cls(**kwargs)

    return make


@dataclass(frozen=True)
class Area:
    name: str
    title: str
    make: Callable[..., Screen]
    #: The core action a person needs to open it (the palette hides it otherwise).
    action: Action | None = None


AREAS: dict[str, Area] = {a.name: a for a in [
    Area("clients", "Clients", _lazy("msp_tui.screens.clients", "ClientsScreen"), Action.VIEW_CLIENTS),
    Area("onboarding", "Onboarding wizard", _lazy("msp_tui.screens.onboarding", "OnboardingScreen"),
         Action.CREATE_CLIENT),
    Area("staff", "Provider staff", _lazy("msp_tui.screens.staff", "StaffScreen"), Action.VIEW_STAFF),
    Area("billing", "Billing", _lazy("msp_tui.screens.billing", "BillingScreen", db_actor=True),
         Action.VIEW_PROVIDER_BILLING),
    Area("health", "Health", _lazy("msp_tui.screens.health", "HealthScreen", db_actor=True), Action.VIEW_CLIENTS),
    Area("drift", "Policy drift", _lazy("msp_tui.screens.drift", "DriftScreen", db_actor=True), Action.VIEW_CLIENTS),
    Area("templates", "Apply a policy template", _lazy("msp_tui.screens.drift", "TemplateApplyScreen", db_actor=True),
         Action.MANAGE_TEMPLATES),
    Area("vault", "My personal items", lambda app, **_kw: CLIENT_SCREENS["vault"](app, None)),
    Area("timeline", "Event timeline", _lazy("msp_tui.screens.timeline", "TimelineScreen", db_actor=True),
         Action.VIEW_TIMELINE),
    Area("approvals", "Approvals inbox", _lazy("msp_tui.screens.approvals", "ApprovalsScreen", db_actor=True),
         Action.VIEW_APPROVALS),
]}


def _client(module: str, cls: str) -> Callable[..., Screen]:
    """A client screen built as `Cls(app.db, app.actor, organization_id)`."""

    def make(app, organization_id) -> Screen:
        return getattr(importlib.import_module(module), cls)(app.db, app.actor, organization_id)

    return make


#: Full screens of one client: name → factory(app, organization_id) (members, vault, billing, policies…).
#: Billing is a tab of the client detail screen (ClientBillingPane), not a screen of its own.
CLIENT_SCREENS: dict[str, Callable[..., Screen]] = {
    "vault": _client("msp_tui.screens.vault", "VaultScreen"),
    "policies": _client("msp_tui.screens.policies", "PolicyEditorScreen"),
    "members": _client("msp_tui.screens.members", "MembersScreen"),
}


@dataclass(frozen=True)
class Command:
    title: str  # "area: verb"
    help: str
    run: Callable  # run(app)
    action: Action | None = None
    #: Only offered when the current screen has this attribute (e.g. "client_id" on client detail).
    needs: str | None = None
    keywords: tuple[str, ...] = field(default=())
    #: Only offered on the screen whose AREA is this (one verb on several screens, e.g. a client group filter).
    where: str | None = None


def _on_screen(method: str) -> Callable:
    def run(app) -> None:
        handler = getattr(app.screen, method, None)
        if handler is not None:  # the screen may have changed since the palette offered it
            handler()

    run.screen_method = method  # offered only on screens that have it (the policy editor has a client, no rename)
    return run


def _change_password(app) -> None:
    from msp_tui.screens.account import ChangePasswordScreen

    app.push_screen(ChangePasswordScreen(app.db, app.actor))


def _my_account(app) -> None:
    from msp_tui.screens.two_step import MyAccountScreen

    app.push_screen(MyAccountScreen())


def _account_recovery(app) -> None:
    from msp_tui.screens.recovery import AccountRecoveryScreen

    app.push_screen(AccountRecoveryScreen(app.db, app.actor))


def _request_access(app) -> None:
    from msp_tui.screens.break_glass import request_access

    def reload() -> None:
        handler = getattr(app.screen, "action_reload", None)
        if getattr(app.screen, "AREA", None) == "clients" and handler is not None:
            handler()

    request_access(app, after=reload)


def _marked(app) -> dict:
    """The clients marked on the clients home (client_ids), or nothing (every client)."""
    table = getattr(app.screen, "table", None)
    marked = list(getattr(table, "marked", None) or ()) if getattr(app.screen, "marks_clients", False) else []
    return {"client_ids": marked} if marked else {}


COMMANDS: list[Command] = [
    Command("clients: open", "All clients, the home screen", lambda app: app.open_area("clients"),
            Action.VIEW_CLIENTS),
    Command("clients: filter", "Filter the clients by name", lambda app: app.open_area("clients", filter=True),
            Action.VIEW_CLIENTS),
    Command("clients: filter by client group", "Only one client group's clients (again: the next group, then all)",
            _on_screen("action_cycle_group"), Action.VIEW_CLIENTS, keywords=("tier", "region", "team"),
            where="clients"),
    Command("billing: filter by client group", "Run-rate and totals of one client group's clients (again: the "
            "next group, then all)", _on_screen("action_cycle_group"), Action.VIEW_PROVIDER_BILLING,
            keywords=("tier", "region", "team"), where="billing"),
    Command("health: filter by client group", "Only the findings about one client group's clients (again: the "
            "next group, then all)", _on_screen("action_cycle_group"), Action.VIEW_CLIENTS,
            keywords=("tier", "region", "team"), where="health"),
    Command("policies: drift by client group", "Only the drift of one client group's clients (again: the next "
            "group, then all)", _on_screen("action_cycle_group"), Action.VIEW_CLIENTS,
            keywords=("tier", "region", "team"), where="drift"),
    Command("timeline: filter by client group", "Only the events of one client group's clients (again: the "
            "next group, then all)", _on_screen("action_cycle_group"), Action.VIEW_TIMELINE,
            keywords=("tier", "region", "team"), where="timeline"),
    Command("onboarding: new client", "Create a client organization step by step",
            lambda app: app.open_area("onboarding"), Action.CREATE_CLIENT),
    Command("onboarding: add existing organization", "Bring an organization you own under management",
            lambda app: app.open_area("onboarding", mode="existing"), Action.ADD_EXISTING_CLIENT),
    Command("staff: open", "Provider staff, their roles and status", lambda app: app.open_area("staff"),
            Action.VIEW_STAFF),
    Command("staff: invite", "Invite people to the provider's staff",
            lambda app: app.open_area("staff", invite=True), Action.MANAGE_STAFF),
    Command("timeline: open", "Every event you may see, newest first", lambda app: app.open_area("timeline"),
            Action.VIEW_TIMELINE),
    Command("approvals: open inbox", "Two-person approval and break-glass requests: approve, deny, withdraw "
            "(ctrl+a)", lambda app: app.open_area("approvals"), Action.VIEW_APPROVALS,
            keywords=("two-person", "pending", "break-glass")),
    Command("access: request break-glass access", "Ask for a client outside your scope, with a reason, for a "
            "time; a Provider Admin approves it (A on the clients home)", _request_access,
            Action.REQUEST_BREAK_GLASS, keywords=("break-glass", "scope", "emergency")),
    Command("billing: open", "Run-rate, discount tier and invoices of the provider",
            lambda app: app.open_area("billing"), Action.VIEW_PROVIDER_BILLING),
    Command("health: open", "What needs attention across every client, worst first",
            lambda app: app.open_area("health"), Action.VIEW_CLIENTS),
    Command("policies: drift report", "Clients whose policies differ from their template",
            lambda app: app.open_area("drift"), Action.VIEW_CLIENTS),
    Command("policies: apply template", "Apply a policy template to the marked clients (or all)",
            lambda app: app.open_area("templates", **_marked(app)), Action.MANAGE_TEMPLATES),
    Command("vault: my personal items", "Your own personal vault", lambda app: app.open_area("vault")),
    Command("vault: open this client's vault", "The items of the client on screen",
            _on_screen("action_vault"), Action.ACCESS_ASSIGNED_ITEMS, needs="client_id"),
    Command("client: policies", "The policies of the client on screen", _on_screen("action_policies"),
            Action.VIEW_POLICIES, needs="client_id"),
    Command("client: billing", "The billing tab of the client on screen", _on_screen("action_tab_billing"),
            Action.VIEW_CLIENT_BILLING, needs="client_id"),
    Command("client: access report", "Every provider staff action on this client, as a file for the client",
            _on_screen("action_access_report"), Action.VIEW_CLIENT_EVENTS, needs="client_id",
            keywords=("audit", "report", "quarterly")),
    Command("client: members", "The members of the client on screen", _on_screen("action_members"),
            Action.VIEW_MEMBERS, needs="client_id"),
    Command("client: rename", "Rename the client on screen", _on_screen("action_rename"), Action.RENAME_CLIENT,
            needs="client_id"),
    Command("client: change seats", "Change the seats of the client on screen", _on_screen("action_seats"),
            Action.CHANGE_SEATS, needs="client_id"),
    Command("client: unlink", "Stop managing the client on screen", _on_screen("action_unlink"),
            Action.UNLINK_CLIENT, needs="client_id"),
    Command("events: this client", "The event log of the client on screen", _on_screen("action_tab_events"),
            Action.VIEW_CLIENT_EVENTS, needs="client_id"),
    Command("app: keys (help)", "Every key of the current screen", lambda app: app.action_help()),
    Command("account: my account", "Your account: two-step login (QR code for your app) and master password",
            lambda app: _my_account(app), keywords=("2fa", "two-step", "totp", "authenticator")),
    Command("account: change master password", "Choose a new master password (your keys stay the same)",
            lambda app: _change_password(app)),
    Command("account: account recovery", "Enrol in (or withdraw from) your clients' account recovery (policy 8)",
            lambda app: _account_recovery(app)),
    Command("app: lock", "Drop the keys and hide the screen until the master password is typed",
            lambda app: app.lock()),
    Command("app: sign out", "Lock the keys and go back to the sign-in screen", lambda app: app.sign_out()),
]
