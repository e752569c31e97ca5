"""Attack 4: every command of `msp-tui`, run as every kind of person, does exactly what the access
table (core/access.py, docs/access.md) says: allowed runs finish (exit 0); refused runs exit 1 with
the table's sentence naming the rule, and change nothing in the database.

One world is built through the real use cases and shared: refused runs all go to one copy (a digest
of every table is compared before and after); each allowed run gets its own fresh copy, so what one
command changes cannot decide what the next may do. Each person signs in once, for real, and runs
the commands in this process through `msp_tui.cli.main` (the program's own error handling).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from msp_tui.cli import cli, main
from msp_tui.cli.state import CliState
from msp_tui.core import access
from msp_tui.core.access import COMMANDS, NO_SIGN_IN, PROVIDER_ACTIONS, SIGNED_IN, Action, Kind, Standing
from msp_tui.core.db import Database, _sqlite_module
from msp_tui.core.enums import CollectionAccess, PolicyType
from msp_tui.core.permissions import CUSTOM_FLAGS
from msp_tui.core.services import (accounts, approvals, break_glass, client_groups, clients, collections, groups,
                                   members, policies, policy_templates, recovery, staff, two_step)
from msp_tui.core.services import vault as vault_svc
from tests.conftest import PASSWORD, make_provider

CLIENT = "Contoso"
ITEM = "{item}"  # the id of the item in the shared collection, filled in once the world exists
PW_VAR = "MSP_TUI_WALK_PASSWORD"
WALK_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

#: The command line each COMMANDS row is walked with: arguments that make it succeed for anyone the
#: table allows (on a fresh copy of the world).
ARGV: dict[str, list[str]] = {
    "account password": ["account", "password", "--newpasswordenv", PW_VAR],  # the same one, wrapped anew
    # A secret the walk holds, and its current code (set before each row: codes live 30 seconds).
    "account 2fa enable": ["--otpenv", "MSP_TUI_WALK_OTP", "account", "2fa", "enable", "--secretenv",
                           "MSP_TUI_WALK_TOTP_SECRET"],
    "account 2fa disable": ["account", "2fa", "disable"],  # nobody in the world has it on: nothing to do
    "account recovery status": ["account", "recovery", "status"],
    "account recovery enrol": ["account", "recovery", "enrol"],  # every client of theirs with policy 8 on
    "account recovery withdraw": ["account", "recovery", "withdraw"],
    "clients list": ["clients", "list"],
    "clients show": ["clients", "show", CLIENT],
    "clients create": ["clients", "create", "--name", "Walkers", "--plan", "teams-monthly", "--seats", "3",
                       "--owner", "o@walkers.example"],
    "clients addable": ["clients", "addable"],
    "clients add-existing": ["clients", "add-existing", "Fabrikam"],
    "clients internal": ["clients", "internal", CLIENT],
    "clients rename": ["clients", "rename", CLIENT, "Contoso Ltd"],
    "clients seats": ["clients", "seats", CLIENT, "25", "--reason", "fewer staff"],  # a request: guarded
    "clients unlink": ["clients", "unlink", CLIENT, "--confirm", CLIENT],
    "clients rotate-key": ["clients", "rotate-key", CLIENT],
    "clients groups list": ["clients", "groups", "list"],
    "clients groups create": ["clients", "groups", "create", "Silver", CLIENT],
    "clients groups rename": ["clients", "groups", "rename", "Gold", "Gold tier"],
    "clients groups delete": ["clients", "groups", "delete", "Gold"],
    "clients groups add": ["clients", "groups", "add", "Elsewhere", CLIENT],
    "clients groups remove": ["clients", "groups", "remove", "Gold", CLIENT],
    "health": ["health"],
    "staff list": ["staff", "list"],
    "staff invite": ["staff", "invite", "new@msp.example", "--role", "service"],
    "staff reinvite": ["staff", "reinvite", "invited@msp.example"],
    "staff confirm": ["staff", "confirm", "accepted@msp.example", "--fingerprint", "{fp_accepted}"],
    "staff role": ["staff", "role", "svc@msp.example", "admin"],
    "staff remove": ["staff", "remove", "svc@msp.example"],
    "staff require-2fa": ["staff", "require-2fa", "on"],
    "staff scope": ["staff", "scope", "svc@msp.example", "Gold"],
    "members list": ["members", "list", CLIENT],
    "members invite": ["members", "invite", CLIENT, "new@contoso.example"],
    "members reinvite": ["members", "reinvite", CLIENT, "pending@contoso.example"],
    "members confirm": ["members", "confirm", CLIENT, "joined@contoso.example", "--fingerprint", "{fp_joined}"],
    "members revoke": ["members", "revoke", CLIENT, "pending@contoso.example"],
    "members restore": ["members", "restore", CLIENT, "revoked@contoso.example"],
    "members remove": ["members", "remove", CLIENT, "pending@contoso.example"],
    "members role": ["members", "role", CLIENT, "pending@contoso.example", "custom"],
    "members set-groups": ["members", "set-groups", CLIENT, "pending@contoso.example", "Finance"],
    "members recover": ["members", "recover", CLIENT, "user@contoso.example", "--temppasswordenv", PW_VAR],
    "members groups list": ["members", "groups", "list", CLIENT],
    "members groups create": ["members", "groups", "create", CLIENT, "Helpdesk"],
    "members groups rename": ["members", "groups", "rename", CLIENT, "Finance", "Accounting"],
    "members groups delete": ["members", "groups", "delete", CLIENT, "Finance"],
    "members collections list": ["members", "collections", "list", CLIENT],
    "members collections create": ["members", "collections", "create", CLIENT, "Servers"],
    "members collections rename": ["members", "collections", "rename", CLIENT, "Front desk", "Reception"],
    "members collections delete": ["members", "collections", "delete", CLIENT, "Front desk"],
    "members collections grant": ["members", "collections", "grant", CLIENT, "Front desk", "--group", "Finance",
                                  "--access", "can-view"],
    "policies list": ["policies", "list", CLIENT],
    "policies set": ["policies", "set", CLIENT, "disable-send", "--on", "--yes"],
    "policies drift": ["policies", "drift"],
    "policies accept-deviation": ["policies", "accept-deviation", CLIENT, "disable-send", "--reason", "on purpose"],
    "policies withdraw-deviation": ["policies", "withdraw-deviation", CLIENT, "remove-pin"],
    "policies template list": ["policies", "template", "list"],
    "policies template show": ["policies", "template", "show", "Baseline"],
    "policies template create": ["policies", "template", "create", "Strict", "--on", "disable-send"],
    "policies template set": ["policies", "template", "set", "Baseline", "disable-export", "--on"],
    "policies template delete": ["policies", "template", "delete", "Baseline", "--yes"],
    "policies template apply": ["policies", "template", "apply", "Baseline", "--client", CLIENT, "--yes"],
    "events list": ["events", "list", "--limit", "5"],
    "events list --client CLIENT": ["events", "list", "--client", CLIENT, "--limit", "5"],
    "events export": ["events", "export", "--format", "csv"],
    "events export --client CLIENT": ["events", "export", "--client", CLIENT, "--format", "csv"],
    "events verify": ["events", "verify", "--no-signatures"],
    "vault list CLIENT": ["vault", "list", CLIENT],
    "vault list --personal": ["vault", "list", "--personal"],
    "vault add CLIENT": ["vault", "add", CLIENT, "--name", "Printer", "--collection", "Front desk",
                         "--field", "username=lp"],
    "vault add --personal": ["vault", "add", "--personal", "--type", "note", "--name", "Mine",
                             "--field", "notes=x"],
    "vault show ITEM": ["vault", "show", ITEM],
    "vault edit ITEM": ["vault", "edit", ITEM, "--name", "Router (old)"],
    "vault delete ITEM": ["vault", "delete", ITEM, "--yes"],
    "vault trash CLIENT": ["vault", "trash", CLIENT],
    "vault trash --personal": ["vault", "trash", "--personal"],
    "vault restore ITEM": ["vault", "restore", "{trashed}"],
    "vault purge-trash CLIENT": ["vault", "purge-trash", CLIENT],
    "vault purge-trash --personal": ["vault", "purge-trash", "--personal"],
    "vault generate": ["vault", "generate", "--length", "20"],
    "vault import CLIENT": ["vault", "import", CLIENT, "{import_file}", "--collection", "Front desk"],
    "vault import --personal": ["vault", "import", "--personal", "{import_file}"],
    "vault export CLIENT": ["vault", "export", CLIENT, "-o", "{export_file}", "--force"],
    "vault export --personal": ["vault", "export", "--personal", "-o", "{export_file}", "--force"],
    "billing summary": ["billing", "summary"],
    "billing invoice": ["billing", "invoice"],
    "billing invoice CLIENT": ["billing", "invoice", CLIENT],
    "billing tiers": ["billing", "tiers"],
    "billing tiers --set TIERS": ["billing", "tiers", "--set", "0:0,100:5"],
    "billing payment CLIENT": ["billing", "payment", CLIENT],
    "billing payment CLIENT KIND": ["billing", "payment", CLIENT, "invoice"],
    "billing mode": ["billing", "mode"],
    "billing mode MODE": ["billing", "mode", "consolidated"],
    "billing minimum": ["billing", "minimum", "teams", "5"],
    "approvals list": ["approvals", "list"],
    "approvals approve ID": ["approvals", "approve", "{request}"],
    "approvals deny ID": ["approvals", "deny", "{request}", "--reason", "not now"],
    "approvals withdraw ID": ["approvals", "withdraw", "{request}"],
    "provider approvals": ["provider", "approvals"],
    "provider approvals ACTIONS": ["provider", "approvals", "lower-seats", "unlink-client"],
    "provider break-glass": ["provider", "break-glass", "--max", "2h"],
    # Only someone outside Contoso's scope may ask for it (special-cased in the walk below).
    "access request CLIENT": ["access", "request", CLIENT, "--reason", "locked out", "--for", "30m"],
    "access pending": ["access", "pending"],
    "access approve ID": ["access", "approve", "{grant}"],
    "access deny ID": ["access", "deny", "{grant}", "--reason", "not now"],
    "access end ID": ["access", "end", "{grant}"],
    "access acknowledge ID": ["access", "acknowledge", "{emergency}"],
    "report access CLIENT": ["report", "access", CLIENT, "--since", "30d", "-o", "{report}"],
}


@dataclass(frozen=True)
class Person:
    label: str
    email: str
    #: Their standing towards the client Contoso, and towards the provider.
    kind: Kind
    provider_kind: Kind
    flags: frozenset = frozenset()


MEMBER_FLAGS = sorted(CUSTOM_FLAGS)
PEOPLE = [
    Person("Provider Admin", "ada@msp.example", Kind.PROVIDER_ADMIN, Kind.PROVIDER_ADMIN),
    Person("Service User", "svc@msp.example", Kind.SERVICE_USER, Kind.SERVICE_USER),
    # S12: scoped to the client group Elsewhere, which Contoso is not in.
    Person("Service User, scoped elsewhere", "scoped@msp.example", Kind.OUT_OF_SCOPE, Kind.SERVICE_USER),
    Person("staff, invited", "invited@msp.example", Kind.STAFF_INVITED, Kind.STAFF_INVITED),
    Person("staff, accepted", "accepted@msp.example", Kind.STAFF_ACCEPTED, Kind.STAFF_ACCEPTED),
    Person("staff, removed", "removed@msp.example", Kind.STRANGER, Kind.STRANGER),
    Person("Owner", "owner@contoso.example", Kind.OWNER, Kind.STRANGER),
    Person("Admin", "admin@contoso.example", Kind.ADMIN, Kind.STRANGER),
    Person("User", "user@contoso.example", Kind.USER, Kind.STRANGER),
    Person("Custom, no flag", "custom-none@contoso.example", Kind.CUSTOM, Kind.STRANGER),
    *[Person(f"Custom, {f}", f"custom-{f.replace('_', '-')}@contoso.example", Kind.CUSTOM, Kind.STRANGER,
             frozenset({f})) for f in MEMBER_FLAGS],
    Person("no relation", "stranger@else.example", Kind.STRANGER, Kind.STRANGER),
]


class _Invitations:
    """Joins people the way they join: with their invitation's one-time secret when invitations carry
    one (issue 15, attack 2), read from what the inviting use case returned."""

    def __init__(self, db: Database) -> None:
        self.db, self.secrets = db, {}

    def note(self, result, email: str | None = None):
        self.secrets.update(getattr(result, "secrets", None) or {})
        owner_secret = getattr(result, "owner_invite_secret", None)
        if email and owner_secret:
            self.secrets[email] = owner_secret
        return result

    def join(self, email: str):
        secret = self.secrets.pop(email, None)
        extra = {"secret": secret} if secret is not None else {}
        actor, _ = accounts.accept_invitations(self.db, email=email, password=PASSWORD, name=email.split("@")[0],
                                               **extra)
        return actor


def build(db: Database) -> dict:
    """The world every walk shares: a provider, its staff in each state, Contoso with a member of
    each role (and a Custom member per flag), a group, a collection every member may edit with an
    item in it, a template, and a second client (Fabrikam) unlinked so it can be added back."""
    inv = _Invitations(db)
    admin = make_provider(db)
    org = inv.note(clients.create_client(db, admin, name=CLIENT, plan="enterprise-monthly", seats=40,
                                         owner_email="owner@contoso.example"), "owner@contoso.example")
    fabrikam = inv.note(clients.create_client(db, admin, name="Fabrikam", plan="teams-monthly", seats=5,
                                              owner_email="owner@fabrikam.example"), "owner@fabrikam.example")
    inv.join("owner@fabrikam.example")
    inv.note(members.invite(db, admin, fabrikam.id, ["ada@msp.example"], "owner"))  # so she may add it back
    inv.join("ada@msp.example")
    members.confirm(db, admin, fabrikam.id, ["owner@fabrikam.example", "ada@msp.example"])
    clients.unlink(db, admin, fabrikam.id, confirm_name="Fabrikam")
    inv.note(staff.invite(db, admin, ["svc@msp.example", "accepted@msp.example", "removed@msp.example",
                                      "scoped@msp.example"], "service"))
    _svc, accepted, _removed, _scoped = (inv.join(e) for e in ("svc@msp.example", "accepted@msp.example",
                                                               "removed@msp.example", "scoped@msp.example"))
    staff.confirm(db, admin, "svc@msp.example")
    staff.confirm(db, admin, "scoped@msp.example")
    # Client groups: Contoso in Gold; the scoped Service User serves only Elsewhere (S12).
    client_groups.create_client_group(db, admin, "Gold", [CLIENT])
    client_groups.create_client_group(db, admin, "Elsewhere")
    client_groups.set_staff_scope(db, admin, "scoped@msp.example", ["Elsewhere"])
    staff.confirm(db, admin, "removed@msp.example")
    staff.remove(db, admin, "removed@msp.example")
    # An account (a member of Contoso who has not been confirmed) with a staff invitation pending.
    inv.note(members.invite(db, admin, org.id, ["invited@msp.example"], "user"))
    inv.join("invited@msp.example")
    staff.invite(db, admin, ["invited@msp.example"], "admin")
    roles = {"admin@contoso.example": ("admin", frozenset()), "user@contoso.example": ("user", frozenset())}
    for p in PEOPLE:
        if p.kind == Kind.CUSTOM:
            roles[p.email] = ("custom", p.flags)
    for email, (role, flags) in roles.items():
        inv.note(members.invite(db, admin, org.id, [email], role, flags))
    inv.note(members.invite(db, admin, org.id, ["pending@contoso.example", "revoked@contoso.example",
                                                "joined@contoso.example"], "user"))
    for email in [*roles, "owner@contoso.example", "revoked@contoso.example"]:
        inv.join(email)
    joined = inv.join("joined@contoso.example")
    members.confirm(db, admin, org.id, [*roles, "owner@contoso.example", "revoked@contoso.example"])
    members.revoke(db, admin, org.id, ["revoked@contoso.example"])
    inv.note(members.invite(db, admin, org.id, ["stranger@else.example"], "user"))
    inv.join("stranger@else.example")
    members.remove(db, admin, org.id, ["stranger@else.example"])
    group = groups.create_group(db, admin, org.id, "Finance")
    coll = collections.create_collection(db, admin, org.id, "Front desk")
    for email in [*roles, "owner@contoso.example"]:
        collections.set_member_access(db, admin, org.id, coll.id, email, CollectionAccess.CAN_MANAGE)
    members.set_groups(db, admin, org.id, "user@contoso.example", [group.id])
    item = vault_svc.create_item(db, admin, type="login", name="Router", fields={"username": "admin"},
                                 client=org.id, collection_ids=[coll.id])
    trashed = vault_svc.create_item(db, admin, type="login", name="Old printer", client=org.id,
                                    collection_ids=[coll.id])
    vault_svc.delete_item(db, admin, trashed.id)
    policy_templates.create_template(db, admin, "Baseline", {"disable-send": (True, None),
                                                              "remove-pin": (True, None)})
    policy_templates.apply_template(db, admin, "Baseline", [org.id], dry_run=False)
    policy_templates.accept_deviation(db, admin, org.id, "remove-pin", "kept on purpose")
    # Account recovery (policy 8, which needs Single organization) with the User enrolled.
    policies.set_policy(db, admin, org.id, PolicyType.SINGLE_ORG, enabled=True)
    policies.set_policy(db, admin, org.id, PolicyType.RESET_PASSWORD, enabled=True)
    recovery.enrol(db, accounts.sign_in(db, "user@contoso.example", PASSWORD), CLIENT)
    # Two-person approval: a second admin (so it can be on), lowering seats guarded, and the Service
    # User's pending request to lower Contoso's seats (the Service User withdraws it; admins decide it).
    inv.note(staff.invite(db, admin, ["ben@msp.example"], "admin"))
    inv.join("ben@msp.example")
    staff.confirm(db, admin, "ben@msp.example")
    approvals.set_actions(db, admin, ["lower-seats"])
    svc = accounts.sign_in(db, "svc@msp.example", PASSWORD)
    req = approvals.request(db, svc, "lower-seats", "fewer staff", client=org.id, seats=30)
    # Break-glass: the scoped Service User's pending request for Contoso, and an emergency self-grant
    # of theirs, already ended (so Contoso stays outside their scope) but not yet acknowledged.
    scoped = accounts.sign_in(db, "scoped@msp.example", PASSWORD)
    grant = break_glass.request(db, scoped, CLIENT, "locked out", minutes="1h")
    break_glass.set_settings(db, admin, self_grant=True)
    emergency = break_glass.request(db, scoped, CLIENT, "the server is down", minutes="1h")
    break_glass.end(db, scoped, emergency.number)
    break_glass.set_settings(db, admin, self_grant=False)
    import tempfile

    import_file = Path(tempfile.mkdtemp(prefix="walk-import-")) / "lastpass.csv"
    import_file.write_text("url,username,password,totp,extra,name,grouping,fav\n"
                           "https://printer.example,admin,pw,,,Printer,Office,0\n", encoding="utf-8")
    return {"grant": str(grant.number), "emergency": str(emergency.number),
            "item": str(item.id), "trashed": str(trashed.id), "request": str(req.number),
            "export_file": str(Path(tempfile.mkdtemp(prefix="msp-tui-walk-")) / "export.json"),
            "report": str(Path(tempfile.mkdtemp(prefix="walk-report-")) / "access.html"),
            "import_file": str(import_file),
            "fp_accepted": accounts.fingerprint_of(db, accepted.account_id),
            "fp_joined": accounts.fingerprint_of(db, joined.account_id)}


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(state: CliState, argv: list[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv, state=state)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Run(code, out.getvalue(), err.getvalue())


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:240] if lines else "(nothing)"


def digest(path: Path) -> str:
    """Every row of every table, hashed (checkpoint lines live outside the file and are not written
    by a refused command either: they follow a committed write)."""
    conn = _sqlite_module().connect(f"file:{path}?mode=ro", uri=True)
    try:
        h = hashlib.sha256()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for t in tables:
            h.update(t.encode())
            for row in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid'):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        conn.close()


class World:
    def __init__(self, folder: Path, template: Path) -> None:
        self.folder = folder
        self.template = folder / "world.db"
        shutil.copy(template, self.template)
        db = Database(self.template)
        self.values = build(db)
        # A real sign-in for each person, once: the actor the command line would hold.
        self.actors = {p.label: accounts.sign_in(db, p.email, PASSWORD) for p in PEOPLE}
        db.dispose()
        self.shared_path = folder / "shared.db"
        shutil.copy(self.template, self.shared_path)
        self.shared = Database(self.shared_path)
        self._n = 0

    def state(self, person: Person, db: Database) -> CliState:
        state = CliState(db_url=str(db.url.database), email=person.email, passwordenv=PW_VAR,
                         passwordfile=None)
        state._db, state._actor = db, self.actors[person.label]
        return state

    def fresh(self) -> Database:
        self._n += 1
        path = self.folder / f"run-{self._n}.db"
        shutil.copy(self.template, path)
        return Database(path)


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    mp = pytest.MonkeyPatch()
    mp.setenv(PW_VAR, PASSWORD)
    mp.setenv("MSP_TUI_WALK_TOTP_SECRET", WALK_TOTP_SECRET)
    w = World(tmp_path_factory.mktemp("walk"), sqlite_template)
    yield w
    w.shared.dispose()
    mp.undo()


def every_command() -> list[str]:
    """The whole click command tree, as "group sub command" paths."""
    found = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            found.append(" ".join(path))

    walk(cli, [])
    return sorted(found)


#: How S12 refusals name the scoped Service User's scope.
SCOPED_LABEL = "the client group 'Elsewhere'"


def names_contoso(argv: list[str]) -> bool:
    """The command acts on Contoso (by name, or through one of its items)."""
    return CLIENT in argv or ITEM in argv or "{trashed}" in argv


def expected(person: Person, need, argv: list[str] = ()) -> access.Decision:
    if need == SIGNED_IN:
        return access.Decision(True)
    kind = person.provider_kind if need in PROVIDER_ACTIONS else person.kind
    if person.kind == Kind.OUT_OF_SCOPE and need in PROVIDER_ACTIONS and names_contoso(argv):
        kind = Kind.OUT_OF_SCOPE  # a provider action on Contoso, outside this person's scope (S12)
    # A client's members stand as strangers towards the provider: its actions tell them S2.
    return access.decide(Standing(kind, flags=person.flags, scope_label=SCOPED_LABEL), need)


def test_every_command_has_a_row_in_the_access_table():
    rows = {access.command_path(r) for r in COMMANDS}
    missing = [c for c in every_command() if c not in rows]
    assert not missing, (
        "These commands have no row in COMMANDS (src/msp_tui/core/access.py): "
        + ", ".join(f"`msp-tui {c}`" for c in missing) + ". For each, add a row "
        + "`\"<command>\": Action.<what it needs>` (or NO_SIGN_IN / SIGNED_IN), give it an argv in ARGV of "
        "tests/cli/test_access_walk.py that succeeds for anyone the table allows, then regenerate "
        "docs/access.md (paste `python -m msp_tui.core.access` under its heading).")
    stale = [r for r in COMMANDS if access.command_path(r) not in every_command()]
    assert not stale, f"COMMANDS rows for commands that no longer exist: {stale}"


def test_every_signed_in_row_has_an_argv():
    missing = [r for r, need in COMMANDS.items() if need != NO_SIGN_IN and r not in ARGV]
    assert not missing, (f"Rows of COMMANDS without a command line to walk: {missing}. Add each to ARGV in "
                         "tests/cli/test_access_walk.py (arguments that succeed for anyone the table allows).")


WALKED = [r for r, need in COMMANDS.items() if need != NO_SIGN_IN]


@pytest.mark.parametrize("row", WALKED)
def test_attack4_command_follows_the_access_table(world, row):
    """Run ROW as every kind of person: allowed exactly where the table allows; otherwise exit 1 with
    the table's sentence (naming the rule), and not one row of the database changed."""
    need = COMMANDS[row]
    argv = [a.format(**world.values) for a in ARGV[row]]
    os.environ["MSP_TUI_WALK_OTP"] = two_step.current_code(WALK_TOTP_SECRET)
    wrong = []
    for person in PEOPLE:
        want = expected(person, need, ARGV[row])
        if row == "approvals withdraw ID" and person.kind == Kind.OUT_OF_SCOPE:
            # Another Service User's request: only its requester (or an admin) withdraws it.
            want = access.Decision(False, "two-person", "Only the person who asked (or a Provider Admin) can "
                                                        "withdraw request")
        if row == "access request CLIENT" and person.provider_kind in (Kind.PROVIDER_ADMIN, Kind.SERVICE_USER):
            # The table lets staff ask; core then refuses those who can already see Contoso.
            want = (access.Decision(True) if person.kind == Kind.OUT_OF_SCOPE else
                    access.Decision(False, "break-glass", "Contoso is already in your scope"))
        if row == "access end ID" and person.kind == Kind.SERVICE_USER:
            # Another Service User's request: only its holder (or an admin) ends it.
            want = access.Decision(False, "break-glass", "Only its holder or a Provider Admin can end")
        if want.allowed:
            db = world.fresh()
            try:
                r = run(world.state(person, db), argv)
            finally:
                db.dispose()
            if r.code != 0:
                wrong.append(f"{person.label}: allowed by the table, but exit {r.code}: {last_line(r.err)}")
            continue
        before = digest(world.shared_path)
        r = run(world.state(person, world.shared), argv)
        sentence = f"refused by rule {want.rule}: {want.reason}"
        if r.code != 1 or sentence not in r.err:
            wrong.append(f"{person.label}: the table says `{sentence}`, got exit {r.code}: "
                         f"{last_line(r.err or r.out)}")
        elif digest(world.shared_path) != before:
            wrong.append(f"{person.label}: refused, but the database changed")
    assert not wrong, f"msp-tui {' '.join(argv)} ({need}):\n" + "\n".join(wrong)


def test_attack4_user_reads_neither_members_nor_collections_nor_policies(world):
    """The attack as reported: a client's plain User ran these three and read the answers."""
    user = next(p for p in PEOPLE if p.label == "User")
    for argv, action in ((["members", "collections", "list", CLIENT], Action.VIEW_COLLECTIONS),
                         (["members", "groups", "list", CLIENT], Action.VIEW_GROUPS),
                         (["policies", "list", CLIENT], Action.VIEW_POLICIES),
                         (["members", "list", CLIENT], Action.VIEW_MEMBERS)):
        r = run(world.state(user, world.shared), argv)
        assert r.code == 1, (argv, r)
        assert "refused by rule roles: Only Owners and Admins of this organization can" in r.err, r.err
        assert action.value in r.err
        assert r.out == "", "nothing of the client is printed"


# --- the read commands on PostgreSQL ---------------------------------------------------------------

#: Rows that only read: walked once more on PostgreSQL, everyone on one database (a refused read
#: must not add a single event either).
READS = [r for r, need in COMMANDS.items()
         if isinstance(need, Action) and need.name.startswith("VIEW") or r == "vault list CLIENT"]


@pytest.fixture(scope="module")
def pg_world(pg_server):
    from tests.conftest import new_pg

    db = new_pg(pg_server)
    values = build(db)
    actors = {p.label: accounts.sign_in(db, p.email, PASSWORD) for p in PEOPLE}
    yield db, values, actors
    db.dispose()


@pytest.mark.postgres
def test_attack4_read_commands_follow_the_access_table_on_postgresql(pg_world, monkeypatch):
    from sqlalchemy import func, select

    from msp_tui.core.models import Event

    db, values, actors = pg_world
    monkeypatch.setenv(PW_VAR, PASSWORD)
    wrong = []
    for row in READS:
        argv = [a.format(**values) for a in ARGV[row]]
        for person in PEOPLE:
            want = expected(person, COMMANDS[row], ARGV[row])
            state = CliState(db_url=None, email=person.email, passwordenv=PW_VAR, passwordfile=None)
            state._db, state._actor = db, actors[person.label]
            with db.read() as s:
                before = s.execute(select(func.count()).select_from(Event)).scalar_one()
            r = run(state, argv)
            if want.allowed:
                if r.code != 0:
                    wrong.append(f"{row} as {person.label}: allowed, but exit {r.code}: {last_line(r.err)}")
                continue
            sentence = f"refused by rule {want.rule}: {want.reason}"
            with db.read() as s:
                after = s.execute(select(func.count()).select_from(Event)).scalar_one()
            if r.code != 1 or sentence not in r.err or after != before:
                wrong.append(f"{row} as {person.label}: the table says `{sentence}`, got exit {r.code}: "
                             f"{last_line(r.err or r.out)} (events {before} -> {after})")
    assert not wrong, "\n".join(wrong)


def test_S12_scoped_service_user_reads_nothing_of_contoso_in_any_listing(world):
    """S12: the Service User scoped elsewhere is allowed every provider-wide listing, and none of them
    names Contoso or its id (the clients home, health, drift, timeline and export, client groups, and
    the two-person approval requests, one of which is about Contoso's seats)."""
    person = next(p for p in PEOPLE if p.kind == Kind.OUT_OF_SCOPE)
    with world.shared.read() as s:
        from msp_tui.core.models import Organization

        contoso_id = str(s.query(Organization.id).filter(Organization.name == CLIENT).scalar())
    for argv in (["clients", "list", "--format", "json"], ["health", "--format", "json"],
                 ["policies", "drift", "--format", "json"], ["events", "list", "--format", "json"],
                 ["events", "export", "--format", "csv"], ["clients", "groups", "list", "--format", "json"],
                 ["approvals", "list", "--all", "--format", "json"]):
        r = run(world.state(person, world.shared), argv)
        assert r.code == 0, (argv, r.err)
        assert CLIENT not in r.out and contoso_id not in r.out, (argv, r.out[:400])
