"""`policies`: a client's policies, the provider's policy templates, and drift from them."""

from __future__ import annotations

import click

from msp_tui.cli.output import emit, emit_one, format_option
from msp_tui.cli.state import CliState, pass_state

COLUMNS = ["type", "name", "state", "options", "requires", "template", "version"]


def _options(pairs) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r}: use KEY=VALUE", param_hint="--option")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _lst(state: CliState, values: list[str]):
    """Lists stay lists in JSON; in a table or CSV they read as one cell."""
    return values if state.fmt in ("json", "jsonl") else "; ".join(values)


def _effect(e) -> str:
    return f"{e.email} ({e.role.label})"


@click.group("policies")
def policies() -> None:
    """A client's policies, policy templates and drift (CLIENT is a name or id; TYPE a number 0–16
    or a name like two-factor, master-password, single-org, vault-timeout).

    \b
    Example:
      msp-tui policies list Contoso
      msp-tui policies drift --format json
    """


@policies.command("list")
@click.argument("client")
@format_option()
@pass_state
def list_(state: CliState, client) -> None:
    """Every policy of a client with its state and options.

    \b
    Example:
      msp-tui policies list Contoso --format json
    """
    from msp_tui.core.services import policies as svc

    view = svc.list_policies(state.db(), state.actor(), client)
    rows = [{"type": int(p.type), "name": p.name, "state": "on" if p.enabled else "off",
             "options": p.options if state.fmt in ("json", "jsonl") else p.summary,
             "requires": "Single organization" if p.requires_single_org else "",
             "template": p.template_state or "", "version": p.version} for p in view.policies]
    emit(state.fmt, rows, COLUMNS)
    if not view.can_edit:
        click.echo(f"note: {view.reason}", err=True)


@policies.command("set")
@click.argument("client")
@click.argument("type_", metavar="TYPE")
@click.option("--on/--off", "enabled", default=None, help="Turn the policy on or off.")
@click.option("--option", "opts", multiple=True, metavar="KEY=VALUE",
              help="An option (repeatable), e.g. min_length=14; 'none' clears an optional one.")
@click.option("--expected-version", type=int, default=None,
              help="Refuse if the policy changed since this version (0: never saved).")
@click.option("--yes", is_flag=True, help="Do not ask before revoking members.")
@click.option("--reason", default=None, metavar="TEXT",
              help="Why: turning off Require two-step login or Master password requirements becomes a "
                   "request for a second Provider Admin when two-person approval covers it.")
@pass_state
def set_(state: CliState, client, type_, enabled, opts, expected_version, yes, reason) -> None:
    """Turn a policy on or off, or change its options (Enterprise clients only).

    Turning on Require two-step login or Single organization revokes the members who do not
    comply (Owners and Admins exempt); you are shown whom and asked first.

    \b
    Example:
      msp-tui policies set Contoso master-password --on --option min_length=14 --option require_upper=true
      msp-tui policies set Contoso two-factor --on --yes
    """
    from msp_tui.core.services import policies as svc

    db, actor = state.db(), state.actor()
    if enabled:
        pv = svc.preview(db, actor, client, type_, True)
        if pv.error is None and pv.revoke:
            click.echo(f"This will revoke {len(pv.revoke)} member(s): "
                       + ", ".join(_effect(e) for e in pv.revoke), err=True)
            if not yes:
                click.confirm("Save and revoke them?", abort=True, err=True)
    from msp_tui.cli.approvals import or_request
    from msp_tui.core import policies as catalogue
    from msp_tui.core.services import approvals

    t = catalogue.parse_type(type_)
    res = or_request(state, reason, approvals.POLICY_OFF.get(t, ""), {"client": client},
                     lambda: svc.set_policy(db, actor, client, type_, enabled=enabled, options=_options(opts),
                                            expected_version=expected_version))
    if res is None:
        return
    p = res.policy
    click.echo(f"{p.name}: {res.changes}" if res.changed else f"{p.name}: unchanged", err=True)
    for e in res.revoked:
        click.echo(f"revoked {_effect(e)}: {e.why}", err=True)
    emit_one(state.fmt, {"type": int(p.type), "name": p.name, "state": "on" if p.enabled else "off",
                         "options": p.options, "version": p.version, "changed": res.changed,
                         "revoked": [e.email for e in res.revoked]})


# --- templates ----------------------------------------------------------------------------------


@policies.group("template")
def template() -> None:
    """Named policy templates applied to many clients at once (Provider Admins).

    \b
    Example:
      msp-tui policies template apply Baseline --all --dry-run
    """


def _template_rows(state, view):
    return [{"template": view.name, "type": int(i.type), "name": i.name, "state": "on" if i.enabled else "off",
             "options": i.options if state.fmt in ("json", "jsonl") else i.summary} for i in view.items]


TEMPLATE_COLUMNS = ["template", "type", "name", "state", "options"]


def _template_items(on, off, opts) -> dict:
    from msp_tui.core import policies as catalogue

    items: dict = {}
    for t in on:
        items[catalogue.parse_type(t)] = [True, {}]
    for t in off:
        items[catalogue.parse_type(t)] = [False, {}]
    for pair in opts:
        head, _, value = pair.partition("=")
        if ":" not in head or not _:
            raise click.BadParameter(f"{pair!r}: use TYPE:KEY=VALUE", param_hint="--option")
        t, key = head.split(":", 1)
        ty = catalogue.parse_type(t)
        items.setdefault(ty, [True, {}])[1][key.strip()] = value.strip()
    return {k: (v[0], v[1]) for k, v in items.items()}


@template.command("create")
@click.argument("name")
@click.option("--from-client", default=None, help="Start from this client's saved policies.")
@click.option("--on", "on", multiple=True, metavar="TYPE", help="A policy turned on (repeatable).")
@click.option("--off", "off", multiple=True, metavar="TYPE", help="A policy turned off (repeatable).")
@click.option("--option", "opts", multiple=True, metavar="TYPE:KEY=VALUE", help="An option of a policy.")
@click.option("--description", default="")
@pass_state
def template_create(state: CliState, name, from_client, on, off, opts, description) -> None:
    """Create a template.

    \b
    Example:
      msp-tui policies template create Baseline --on two-factor --on single-org \\
          --on vault-timeout --option vault-timeout:minutes=240 --option vault-timeout:action=lock
      msp-tui policies template create "Like Contoso" --from-client Contoso
    """
    from msp_tui.core.services import policies as svc

    view = svc.create_template(state.db(), state.actor(), name, _template_items(on, off, opts),
                               description=description, from_client=from_client)
    emit(state.fmt, _template_rows(state, view), TEMPLATE_COLUMNS)


@template.command("set")
@click.argument("name")
@click.argument("type_", metavar="TYPE")
@click.option("--on/--off", "enabled", default=None)
@click.option("--remove", is_flag=True, help="Take the policy out of the template.")
@click.option("--option", "opts", multiple=True, metavar="KEY=VALUE")
@pass_state
def template_set(state: CliState, name, type_, enabled, remove, opts) -> None:
    """Change one policy of a template.

    \b
    Example:
      msp-tui policies template set Baseline master-password --on --option min_length=16
    """
    from msp_tui.core.services import policies as svc

    view = svc.set_template_policy(state.db(), state.actor(), name, type_, enabled=enabled,
                                   options=_options(opts), remove=remove)
    emit(state.fmt, _template_rows(state, view), TEMPLATE_COLUMNS)


@template.command("list")
@pass_state
def template_list(state: CliState) -> None:
    """The provider's templates.

    \b
    Example:
      msp-tui policies template list
    """
    from msp_tui.core.services import policies as svc

    emit(state.fmt, ({"id": t.id, "name": t.name, "policies": len(t.items), "clients": t.clients,
                      "description": t.description} for t in svc.list_templates(state.db(), state.actor())),
         ["id", "name", "policies", "clients", "description"])


@template.command("show")
@click.argument("name")
@pass_state
def template_show(state: CliState, name) -> None:
    """One template's policies.

    \b
    Example:
      msp-tui policies template show Baseline
    """
    from msp_tui.core.services import policies as svc

    emit(state.fmt, _template_rows(state, svc.get_template(state.db(), state.actor(), name)), TEMPLATE_COLUMNS)


@template.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True)
@pass_state
def template_delete(state: CliState, name, yes) -> None:
    """Delete a template (clients keep their policies and follow no template).

    \b
    Example:
      msp-tui policies template delete Relaxed --yes
    """
    from msp_tui.core.services import policies as svc

    if not yes:
        click.confirm(f"Delete template {name!r}?", abort=True, err=True)
    svc.delete_template(state.db(), state.actor(), name)
    click.echo(f"deleted {name}", err=True)


@template.command("apply")
@click.argument("name")
@click.option("--client", "clients", multiple=True, help="A client to apply it to (repeatable).")
@click.option("--all", "all_clients", is_flag=True, help="Apply to every client.")
@click.option("--dry-run", is_flag=True, help="Only list what would change and whom it would revoke.")
@click.option("--yes", is_flag=True, help="Do not ask before applying.")
@format_option()
@pass_state
def template_apply(state: CliState, name, clients, all_clients, dry_run, yes) -> None:
    """Apply a template to clients: what changes, whom it revokes, per client.

    Without --dry-run a dry run is shown first and you are asked to confirm (unless --yes);
    then each client is changed in its own transaction.

    \b
    Example:
      msp-tui policies template apply Baseline --all --dry-run --format json
      msp-tui policies template apply Baseline --client Contoso --client Fabrikam --yes
    """
    from msp_tui.core.errors import BadInput
    from msp_tui.core.services import policies as svc

    if bool(clients) == all_clients:
        raise BadInput("Give --client (one or more) or --all.", "client")
    db, actor = state.db(), state.actor()
    if not dry_run and not yes:
        trial = svc.apply_template(db, actor, name, clients, all_clients=all_clients, dry_run=True)
        click.echo(f"{name}: {trial.changed} client(s) would change, {trial.revoked} member(s) would be "
                   f"revoked, {trial.failed} client(s) cannot take it.", err=True)
        click.confirm("Apply for real?", abort=True, err=True)
    res = svc.apply_template(db, actor, name, clients, all_clients=all_clients, dry_run=dry_run)
    rows = [{"client": c.client_name, "id": c.organization_id,
             "status": "error" if c.error else ("unchanged" if not c.changes else
                                                 ("would change" if dry_run else "changed")),
             "changes": _lst(state, [f"{x.name}: {x.before} → {x.after}" for x in c.changes]),
             "revoke": _lst(state, [_effect(e) for e in c.revoke]),
             "kept": _lst(state, c.kept), "error": c.error or ""} for c in res.clients]
    emit(state.fmt, rows, ["client", "id", "status", "changes", "revoke", "kept", "error"])
    verb = "would change" if dry_run else "changed"
    click.echo(f"{res.template}: {res.changed} client(s) {verb}, {res.revoked} member(s) "
               f"{'would be ' if dry_run else ''}revoked, {res.failed} failed.", err=True)


# --- drift --------------------------------------------------------------------------------------


@policies.command("drift")
@click.option("--template", default=None, help="Only clients following this template.")
@click.option("--all", "include_clean", is_flag=True, help="List clients that match their template too.")
@click.option("--group", default=None, help="Only the clients of this client group.")
@format_option()
@pass_state
def drift(state: CliState, template, include_clean, group) -> None:
    """Clients whose policies differ from their template, one line per differing policy.

    \b
    Example:
      msp-tui policies drift --format csv
    """
    from msp_tui.cli.clients import group_id
    from msp_tui.core.services import policies as svc

    group = group_id(state, group)

    def rows():
        for c in svc.drift_report(state.db(), state.actor(), template=template, include_clean=include_clean,
                                  group=group):
            base = {"client": c.client_name, "id": c.organization_id, "template": c.template}
            for d in c.differences:
                yield {**base, "policy": d.name, "expected": d.expected, "actual": d.actual, "status": "drift"}
            for a in c.accepted:
                yield {**base, "policy": a.name, "expected": "", "actual": "", "status": f"accepted: {a.reason}"}
            if not c.differences and not c.accepted:
                yield {**base, "policy": "", "expected": "", "actual": "", "status": "matches"}

    emit(state.fmt, rows(), ["client", "id", "template", "policy", "expected", "actual", "status"])


@policies.command("accept-deviation")
@click.argument("client")
@click.argument("type_", metavar="TYPE")
@click.option("--reason", required=True, help="Why this client differs from its template on purpose.")
@pass_state
def accept_deviation(state: CliState, client, type_, reason) -> None:
    """Accept that a client's policy differs from its template (no longer reported as drift).

    \b
    Example:
      msp-tui policies accept-deviation Contoso disable-export --reason "Auditors export quarterly"
    """
    from msp_tui.core.services import policies as svc

    svc.accept_deviation(state.db(), state.actor(), client, type_, reason)
    click.echo("deviation accepted", err=True)


@policies.command("withdraw-deviation")
@click.argument("client")
@click.argument("type_", metavar="TYPE")
@pass_state
def withdraw_deviation(state: CliState, client, type_) -> None:
    """Report an accepted deviation as drift again.

    \b
    Example:
      msp-tui policies withdraw-deviation Contoso disable-export
    """
    from msp_tui.core.services import policies as svc

    svc.withdraw_deviation(state.db(), state.actor(), client, type_)
    click.echo("deviation withdrawn", err=True)


COMMANDS = [policies]
