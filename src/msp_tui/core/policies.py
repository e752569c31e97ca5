"""The policy catalogue: types 0–16 with the reference's names, typed options and bounds (§6).

Pure rules, no database: what each policy is called, which options it takes and within which bounds
(one pydantic model per type), which policies need Single organization and the reference's messages
when that dependency is broken. Screens use `option_fields()` to build forms that enforce the same
bounds as you type; `core.services.policies` saves through `parse_options()` and `dependency_error()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from annotated_types import Ge, Gt, Le, MaxLen, MinLen
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from msp_tui.core.enums import PolicyType
from msp_tui.core.errors import BadInput

P = PolicyType


class Options(BaseModel):
    """Options of a policy. Stored as JSON with the reference's camelCase keys."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True,
                              frozen=True, str_strip_whitespace=True)


class NoOptions(Options):
    pass


class MasterPasswordOptions(Options):
    #: Weak (0), Weak (1), Weak (2), Good (3), Strong (4).
    min_complexity: Annotated[int | None, Field(ge=0, le=4)] = None
    min_length: Annotated[int | None, Field(ge=12, le=128)] = 12
    require_upper: bool = False
    require_lower: bool = False
    require_numbers: bool = False
    require_special: bool = False
    enforce_on_login: bool = False


class PasswordGeneratorOptions(Options):
    #: Every option may be left unset (None, off): it then imposes nothing on the generator.
    override_password_type: Literal["password", "passphrase"] | None = None
    min_length: Annotated[int | None, Field(ge=5, le=128)] = None
    use_upper: bool = False
    use_lower: bool = False
    use_numbers: bool = False
    use_special: bool = False
    min_numbers: Annotated[int | None, Field(ge=0, le=9)] = None
    min_special: Annotated[int | None, Field(ge=0, le=9)] = None
    #: 3–20 as the reference's older bounds (issue 16); the current reference starts at 6.
    min_number_words: Annotated[int | None, Field(ge=3, le=20)] = None
    capitalize: bool = False
    include_number: bool = False


class SendOptions(Options):
    disable_hide_email: bool = False


class ResetPasswordOptions(Options):
    auto_enroll_enabled: bool = False


class VaultTimeoutOptions(Options):
    #: hours × 60 + minutes; the reference rejects 0 or less ("invalidMaximumVaultTimeout").
    minutes: Annotated[int, Field(gt=0)] = 60
    action: Literal["lock", "logOut"] | None = None


class AutomaticAppLogInOptions(Options):
    idp_host: Annotated[str, Field(min_length=1, max_length=255)] = "idp.example.com"


class UriMatchOptions(Options):
    #: 0 Domain, 1 Host, 2 Starts with, 3 Exact, 4 Regular expression, 5 Never.
    uri_match_detection: Annotated[int, Field(ge=0, le=5)] = 0


#: The reference's refusal when a new master password falls short of policy 1.
MASTER_PASSWORD_NOT_MET = "Your new master password does not meet the policy requirements."


def combine_master_password(options: list[MasterPasswordOptions]) -> MasterPasswordOptions | None:
    """Several clients' Master password requirements as one (the reference's CombineWith): the
    highest complexity and length, and every flag any of them sets. None when there are none."""
    if not options:
        return None
    def top(key):
        values = [getattr(o, key) for o in options if getattr(o, key) is not None]
        return max(values) if values else None
    flags = {k: any(getattr(o, k) for o in options) for k in ("require_upper", "require_lower", "require_numbers",
                                                                "require_special", "enforce_on_login")}
    return MasterPasswordOptions(min_complexity=top("min_complexity"), min_length=top("min_length"), **flags)


def master_password_shortfalls(options: MasterPasswordOptions, password: str, user_inputs=()) -> list[str]:
    """What `password` lacks under policy 1 (empty when it meets it). Complexity is zxcvbn's score 0–4."""
    out = []
    if options.min_length is not None and len(password) < options.min_length:
        out.append(f"at least {options.min_length} characters")
    if options.require_upper and not any(c.isupper() for c in password):
        out.append("an upper-case letter")
    if options.require_lower and not any(c.islower() for c in password):
        out.append("a lower-case letter")
    if options.require_numbers and not any(c.isdigit() for c in password):
        out.append("a number")
    if options.require_special and not any(c in "!@#$%^&*" for c in password):
        out.append("a special character (!@#$%^&*)")
    if options.min_complexity is not None:
        from zxcvbn import zxcvbn

        score = zxcvbn(password[:100], user_inputs=[str(u) for u in user_inputs])["score"]
        if score < options.min_complexity:
            out.append(f"strength {COMPLEXITY_LABELS[options.min_complexity]} or more "
                       f"(it is {COMPLEXITY_LABELS[score]})")
    return out


URI_MATCH_LABELS = {0: "Domain", 1: "Host", 2: "Starts with", 3: "Exact", 4: "Regular expression",
                    5: "Never"}
COMPLEXITY_LABELS = {0: "Weak (0)", 1: "Weak (1)", 2: "Weak (2)", 3: "Good (3)", 4: "Strong (4)"}


@dataclass(frozen=True)
class PolicySpec:
    type: PolicyType
    name: str
    slug: str
    options: type[Options]
    requires_single_org: bool = False
    description: str = ""


SPECS: dict[PolicyType, PolicySpec] = {s.type: s for s in [
    PolicySpec(P.TWO_FACTOR_AUTHENTICATION, "Require two-step login", "two-factor", NoOptions,
               description="Members must set up two-step login; those without it are revoked "
                           "(Owners and Admins exempt)."),
    PolicySpec(P.MASTER_PASSWORD, "Master password requirements", "master-password", MasterPasswordOptions,
               description="Minimum strength and length of members' master passwords."),
    PolicySpec(P.PASSWORD_GENERATOR, "Password generator", "password-generator", PasswordGeneratorOptions,
               description="Minimum settings of the password generator."),
    PolicySpec(P.SINGLE_ORG, "Single organization", "single-org", NoOptions,
               description="Members may not join other organizations; members of another organization "
                           "are revoked (Owners and Admins exempt)."),
    PolicySpec(P.REQUIRE_SSO, "Require single sign-on authentication", "require-sso", NoOptions, True,
               description="Members sign in with the organization's identity provider."),
    PolicySpec(P.ORGANIZATION_DATA_OWNERSHIP, "Enforce organization data ownership", "data-ownership",
               NoOptions, description="Remove individual vault: items are saved to the organization."),
    PolicySpec(P.DISABLE_SEND, "Remove Send", "disable-send", NoOptions,
               description="Members cannot create or edit Sends."),
    PolicySpec(P.SEND_OPTIONS, "Send options", "send-options", SendOptions,
               description="Options for creating and editing Sends."),
    PolicySpec(P.RESET_PASSWORD, "Account recovery administration", "reset-password", ResetPasswordOptions,
               True, description="Admins can reset members' master passwords through account recovery."),
    PolicySpec(P.MAXIMUM_VAULT_TIMEOUT, "Vault timeout", "vault-timeout", VaultTimeoutOptions, True,
               description="Maximum vault timeout for members, and the timeout action."),
    PolicySpec(P.DISABLE_PERSONAL_VAULT_EXPORT, "Remove individual vault export", "disable-export",
               NoOptions, description="Members cannot export their individual vault."),
    PolicySpec(P.ACTIVATE_AUTOFILL, "Active auto-fill", "autofill", NoOptions,
               description="Turn on auto-fill on page load for members' browser extensions."),
    PolicySpec(P.AUTOMATIC_APP_LOGIN, "Automatic login with SSO", "auto-login", AutomaticAppLogInOptions,
               description="Log members in to apps through the identity provider host."),
    PolicySpec(P.FREE_FAMILIES_SPONSORSHIP, "Remove Free Bitwarden Families sponsorship",
               "families-sponsorship", NoOptions,
               description="Members cannot redeem a free Families sponsorship through this organization."),
    PolicySpec(P.REMOVE_UNLOCK_WITH_PIN, "Remove unlock with PIN", "remove-pin", NoOptions,
               description="Members cannot unlock their vault with a PIN."),
    PolicySpec(P.RESTRICTED_ITEM_TYPES, "Restricted item types", "restricted-items", NoOptions,
               description="Members cannot create card items."),
    PolicySpec(P.URI_MATCH_DEFAULTS, "URI match defaults", "uri-match", UriMatchOptions, True,
               description="The default URI match detection for members' logins."),
]}

#: Where msp-tui applies each policy: the one table docs/policies.md is generated from
#: (`policies_doc()`, checked by tests/core/test_policies_where.py) and the policy editor shows.
#: (kind, line): kind is "acts" (msp-tui applies it), "partly" (some of its effects), "not yet" (stored
#: and shown only; issue 16) or "other apps" (about things msp-tui does not have).
ACTS, PARTLY, NOT_YET, OTHER_APPS = "acts", "partly", "not yet", "other apps"
WHERE_IT_ACTS: dict[PolicyType, tuple[str, str]] = {
    P.TWO_FACTOR_AUTHENTICATION: (ACTS, "Judged by real enrolment (msp-tui account 2fa enable, the palette's "
                                        "account: my account): turning it on revokes the members without "
                                        "two-step login, and a member who turns it off later is revoked "
                                        "(event 1520). Owners and Admins are exempt, and so is the person "
                                        "turning it on. msp-tui members list shows who has it (two_factor)."),
    P.MASTER_PASSWORD: (ACTS, "Checked when an account is created (accept) and when the master password is "
                              "changed (msp-tui account password, the palette's account: change master "
                              "password); with enforce on login, a member whose password falls short must "
                              "change it at sign-in before anything else. No role is exempt."),
    P.PASSWORD_GENERATOR: (ACTS, "The generator (msp-tui vault generate, ctrl+g in the vault item editor) is "
                                 "raised to the policy of the client the item goes to, or for a personal item "
                                 "to the strictest of every client of the person: a forced type, a longer "
                                 "length, characters and minimums, more words (3–20). Options left unset "
                                 "impose nothing. No role is exempt (as the reference's client)."),
    P.SINGLE_ORG: (ACTS, "Accepting an invitation (msp-tui accept, the sign-in screen) is refused to a member "
                         "of a client with it on who would join another organization, and to a person of another "
                         "organization joining a client with it on (the reference's messages). Turning it on "
                         "revokes members who belong to another organization, never the person acting. Owners, "
                         "Admins and provider staff exempt."),
    P.REQUIRE_SSO: (OTHER_APPS, "Stored for other apps: msp-tui has no single sign-on."),
    P.ORGANIZATION_DATA_OWNERSHIP: (ACTS, "Vault: members cannot create personal items (vault add "
                                          "--personal, the personal vault screen); existing ones stay. "
                                          "Owners, Admins and provider staff exempt."),
    P.DISABLE_SEND: (OTHER_APPS, "Stored for other apps: msp-tui has no Send."),
    P.SEND_OPTIONS: (OTHER_APPS, "Stored for other apps: msp-tui has no Send."),
    P.RESET_PASSWORD: (ACTS, "Members enrol (msp-tui account recovery enrol, the palette's account: "
                             "account recovery), or automatically at accept when the policy says so; an "
                             "Owner, an Admin, a Custom member with the account-recovery permission or "
                             "provider staff then resets an enrolled member's master password (msp-tui "
                             "members recover, the members screen's key), which the member must change at "
                             "sign-in. Provider staff are never enrolled (S11)."),
    P.MAXIMUM_VAULT_TIMEOUT: (ACTS, "A member's idle lock, in the terminal and in the browser (serve runs the "
                                    "same app), is at most the policy's minutes (the provider's idle time "
                                    "otherwise), with its action: lock, or log out back to sign-in. The fewest "
                                    "minutes win, log out wins over lock. Only Owners and provider staff are "
                                    "exempt (as the reference's client). Read at sign-in and again every "
                                    "minute of a running session: a change applies without signing in again."),
    P.DISABLE_PERSONAL_VAULT_EXPORT: (PARTLY, "Core refuses exporting one's personal vault (the reference client's "
                                             "message) when any client of the person has it on "
                                             "(policies.refuse_personal_vault_export; Owners, Admins and "
                                             "provider staff exempt). msp-tui exports only client vaults so "
                                             "far: the personal export (issue 17) is to call it."),
    P.ACTIVATE_AUTOFILL: (OTHER_APPS, "Stored for other apps: msp-tui has no browser autofill."),
    P.AUTOMATIC_APP_LOGIN: (OTHER_APPS, "Stored for other apps: msp-tui has no single sign-on."),
    P.FREE_FAMILIES_SPONSORSHIP: (OTHER_APPS, "Stored for other apps: msp-tui has no families plan."),
    P.REMOVE_UNLOCK_WITH_PIN: (OTHER_APPS, "Stored for other apps: msp-tui has no PIN unlock."),
    P.RESTRICTED_ITEM_TYPES: (ACTS, "Vault: members cannot create card items (vault add --type card, the "
                                    "item editor) and do not see existing ones, in a client's vault or their "
                                    "own. Owners, Admins and provider staff exempt."),
    P.URI_MATCH_DEFAULTS: (OTHER_APPS, "Stored for other apps: msp-tui has no browser autofill."),
}


def where_it_acts(type_: int | PolicyType) -> str:
    return WHERE_IT_ACTS[spec(type_).type][1]


def policies_doc() -> str:
    """docs/policies.md, generated from WHERE_IT_ACTS (python -m msp_tui.core.policies > docs/policies.md)."""
    lines = ["# Policies: where msp-tui applies each one", "",
             "Generated from `WHERE_IT_ACTS` in `src/msp_tui/core/policies.py` "
             "(`python -m msp_tui.core.policies > docs/policies.md`); a test keeps the two equal. "
             "The policy editor shows the same line beside each policy.", "",
             "Where a person belongs to several clients, the strictest policy wins. Exemptions follow the "
             "reference: Owners and Admins, Invited and Revoked members and the client's provider staff are "
             "exempt, except where the reference says otherwise (master password requirements exempt no "
             "role). A refusal names the policy and exits 1 on the command line.", "",
             "| # | Policy | Here | Where it acts |", "|---|---|---|---|"]
    for t, s in SPECS.items():
        kind, line = WHERE_IT_ACTS[t]
        lines.append(f"| {int(t)} | {s.name} | {kind} | {line} |")
    return "\n".join(lines) + "\n"


DEPENDENTS: tuple[PolicyType, ...] = tuple(t for t, s in SPECS.items() if s.requires_single_org)

#: Side effects of turning a policy on (reference §4.3).
REVOKING = frozenset({P.TWO_FACTOR_AUTHENTICATION, P.SINGLE_ORG})


def spec(type_: int | PolicyType) -> PolicySpec:
    try:
        return SPECS[PolicyType(int(type_))]
    except (ValueError, KeyError):
        raise BadInput(f"Unknown policy type {type_!r}: use a number 0–16.", "type") from None


def parse_type(text: str | int | PolicyType) -> PolicyType:
    """A policy type from its number, slug ('vault-timeout'), enum name or display name."""
    if isinstance(text, (int, PolicyType)):
        return spec(text).type
    key = str(text).strip().lower()
    if key.isdigit():
        return spec(int(key)).type
    norm = key.replace("_", "-").replace(" ", "-")
    for s in SPECS.values():
        if norm in (s.slug, s.type.name.lower().replace("_", "-"), s.name.lower().replace(" ", "-")):
            return s.type
    raise BadInput(f"Unknown policy {text!r}: use a number 0–16 or one of "
                   + ", ".join(s.slug for s in SPECS.values()) + ".", "type")


# --- options ------------------------------------------------------------------------------------


def _none_words(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("", "none", "null", "default"):
        return None
    return value


def parse_options(type_: int | PolicyType, options: dict | None) -> Options:
    """Validate options for a type (snake_case or camelCase keys); BadInput names the bad one."""
    model = spec(type_).options
    data = {k.replace("-", "_"): _none_words(v) for k, v in (options or {}).items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        from msp_tui.core.schemas import readable

        first = exc.errors()[0]
        if first["type"] == "extra_forbidden":
            field = str(first["loc"][0]) if first["loc"] else ""
            known = ", ".join(option_keys(type_)) or "none"
            raise BadInput(f"{field} is not an option of {spec(type_).name} (options: {known}).", field) from None
        # Options are named as typed (`--option min_length=5`), the key being what a person looks up.
        raise readable(exc, labels={str(k): f"the option {k}" for k in first["loc"][:1]}) from None


def option_keys(type_: int | PolicyType) -> list[str]:
    return list(spec(type_).options.model_fields)


def dump_options(options: Options) -> str | None:
    """The canonical stored form: every option, camelCase keys, sorted; None for no options."""
    data = options.model_dump(by_alias=True)
    if not data:
        return None
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def canonical(type_: int | PolicyType, data: str | None) -> str | None:
    """Re-dump stored JSON so two equal option sets compare equal as text."""
    return dump_options(load_options(type_, data))


def load_options(type_: int | PolicyType, data: str | None) -> Options:
    """Stored JSON back to the model; unreadable or out-of-date data falls back to the defaults."""
    model = spec(type_).options
    if not data:
        return model()
    try:
        return model.model_validate(json.loads(data))
    except (ValueError, ValidationError):
        return model()


def options_dict(options: Options) -> dict:
    return options.model_dump()


def describe_options(type_: int | PolicyType, options: Options | dict | None) -> str:
    """'minLength 14, requireUpper' — a short summary for listings."""
    if options is None:
        return ""
    if isinstance(options, dict):
        options = parse_options(type_, options)
    parts = []
    for key, value in options.model_dump(by_alias=True).items():
        if value is True:
            parts.append(key)
        elif value is False or value is None:
            continue
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


# --- fields for forms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionField:
    """One option as a form shows it: its kind and bounds, read off the pydantic model."""

    key: str
    alias: str
    label: str
    kind: str  # "int", "bool", "choice" or "text"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple = ()
    optional: bool = False
    default: Any = None
    max_length: int | None = None

    def bounds_text(self) -> str:
        if self.kind == "int":
            if self.maximum is None:
                return f"> {self.minimum - 1}" if self.minimum is not None else ""
            return f"{self.minimum}–{self.maximum}"
        return ""


def option_fields(type_: int | PolicyType) -> list[OptionField]:
    model = spec(type_).options
    out = []
    for key, info in model.model_fields.items():
        ann = info.annotation
        args = [a for a in get_args(ann) if a is not type(None)]
        optional = type(None) in get_args(ann)
        base = args[0] if len(args) == 1 else ann
        lo = hi = maxlen = None
        for m in info.metadata:
            if isinstance(m, Ge):
                lo = m.ge
            elif isinstance(m, Gt):
                lo = m.gt + 1
            elif isinstance(m, Le):
                hi = m.le
            elif isinstance(m, MaxLen):
                maxlen = m.max_length
            elif isinstance(m, MinLen):
                pass
        label = key.replace("_", " ").capitalize()
        if get_origin(base) is Literal:
            choices = tuple(get_args(base))
            out.append(OptionField(key, info.alias or key, label, "choice", choices=choices,
                                   optional=optional, default=info.default))
        elif base is bool:
            out.append(OptionField(key, info.alias or key, label, "bool", default=info.default))
        elif base is int:
            out.append(OptionField(key, info.alias or key, label, "int", lo, hi, optional=optional,
                                   default=info.default))
        else:
            out.append(OptionField(key, info.alias or key, label, "text", optional=optional,
                                   default=info.default, max_length=maxlen))
    return out


def check_value(f: OptionField, text: str) -> str | None:
    """Why a typed value is out of bounds (for a form), or None when it is fine."""
    text = text.strip()
    if f.kind != "int":
        if f.kind == "text" and not text and not f.optional:
            return f"{f.label}: required"
        if f.max_length and len(text) > f.max_length:
            return f"{f.label}: at most {f.max_length} characters"
        return None
    if not text:
        return None if f.optional else f"{f.label}: required"
    try:
        value = int(text)
    except ValueError:
        return f"{f.label}: a whole number"
    if f.minimum is not None and value < f.minimum or f.maximum is not None and value > f.maximum:
        if f.maximum is None:
            return f"{f.label}: at least {f.minimum}"
        return f"{f.label}: between {f.minimum} and {f.maximum}"
    return None


# --- dependencies -------------------------------------------------------------------------------


def enable_message(required: PolicyType, policy: PolicyType) -> str:
    return (f"Turn on the {SPECS[required].name} policy because it is required for the "
            f"{SPECS[policy].name} policy.")


def disable_message(policy: PolicyType, dependents: list[PolicyType]) -> str:
    if len(dependents) == 1:
        return (f"Turn off the {SPECS[dependents[0]].name} policy because it requires the "
                f"{SPECS[policy].name} policy.")
    return f"Turn off all of the policies that require the {SPECS[policy].name} policy."


def dependency_error(enabled: dict[int, bool] | set[int], type_: int | PolicyType, turn_on: bool) -> str | None:
    """The reference's message if setting `type_` to `turn_on` breaks the Single organization rule.

    `enabled` is the client's current state: a set of enabled types or {type: enabled}."""
    on = {int(t) for t, v in enabled.items() if v} if isinstance(enabled, dict) else {int(t) for t in enabled}
    t = PolicyType(int(type_))
    if turn_on and SPECS[t].requires_single_org and int(P.SINGLE_ORG) not in on:
        return enable_message(P.SINGLE_ORG, t)
    if not turn_on and t == P.SINGLE_ORG:
        deps = [d for d in DEPENDENTS if int(d) in on]
        if deps:
            return disable_message(P.SINGLE_ORG, deps)
    return None


if __name__ == "__main__":
    print(policies_doc(), end="")
