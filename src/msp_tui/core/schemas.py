"""Input models: what bad input is, in one place. Every use case validates through these."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator)

from msp_tui.core.enums import CollectionAccess, MemberRole, PlanType, StaffRole
from msp_tui.core.errors import BadInput
from msp_tui.core.permissions import CUSTOM_FLAGS

MAX_INVITE_BATCH = 20


def _check_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    value = value.strip().lower()
    if not value:
        raise ValueError("is empty")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        if "special-use or reserved" in reason:
            # email-validator refuses names reserved by RFC 6761 (.test, .local, .localhost, .invalid):
            # no mail is ever delivered there, so an invitation could never arrive.
            suffix = value.rsplit(".", 1)[-1] if "." in value.rsplit("@", 1)[-1] else value.rsplit("@", 1)[-1]
            reason = (f".{suffix} is a reserved domain that no email is ever delivered to "
                      "(like .test, .local and .localhost); use the person's real address")
        else:
            reason = reason[:1].lower() + reason[1:]
        raise ValueError(f"{value!r} is not a valid email address: {reason}") from exc
    return result.normalized.lower()


def _check_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("cannot be empty")
    # Cc control (ESC, NUL, CR...), Cf format (bidi overrides), Cs lone surrogates (undecodable
    # bytes), Zl/Zp line and paragraph separators.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in value):
        raise ValueError("cannot contain control or formatting characters")
    return value


def _check_person_name(value: str) -> str:
    return _check_name(value) if value.strip() else ""


Email = Annotated[str, AfterValidator(_check_email)]
OrgName = Annotated[str, Field(max_length=50), AfterValidator(_check_name)]
PersonName = Annotated[str, Field(max_length=100), AfterValidator(_check_person_name)]
GroupName = Annotated[str, Field(max_length=100), AfterValidator(_check_name)]


class Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


#: How a field is named in a sentence (others: the field name with spaces, `min_length` → min length).
FIELD_LABELS = {"emails": "email", "owner_email": "owner email", "billing_email": "billing email",
                "password": "master password", "provider": "provider name", "permissions": "permission"}


def _words(field: str) -> str:
    """`billing_email` / `minLength` → `billing email` / `min length`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", field).replace("_", " ").lower()


def _given(value, at_most: int = 60) -> str:
    """The value a person gave, as the sentence repeats it: its repr (controls escaped), cut short so a
    huge or nested value cannot make the message a page long."""
    shown = repr(value)
    return shown if len(shown) <= at_most else shown[:at_most - 1] + "…"


def readable(exc: ValidationError, labels: dict[str, str] | None = None) -> BadInput:
    """The one place pydantic's errors become a sentence a person reads: the field named in words,
    never a location like `emails.0` or a type like `int_parsing`. Validators here raise either a
    whole sentence (capitalised) or the end of one that follows the field's name ("is empty",
    "'x' is not a valid email address: …")."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else None
    label = ((labels or {}).get(field) or FIELD_LABELS.get(field) or _words(field)) if field else "value"
    kind, ctx = first["type"], first.get("ctx") or {}
    msg = first["msg"].removeprefix("Value error, ").rstrip(".")
    if kind == "value_error":
        # An item of a list (one of several emails) names itself; a field is named first.
        text = msg if msg[:1].isupper() or len(first["loc"]) > 1 else f"{label} {msg}"
    elif kind == "missing":
        text = f"{label} is missing"
    elif kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length", 1)
        text = (f"{label} needs at least {least} characters" if kind == "string_too_short"
                else f"type at least one {label}" if least == 1 else f"type at least {least} {label}s")
    elif kind in ("string_too_long", "too_long"):
        text = f"{label} can have at most {ctx.get('max_length')} characters" if kind == "string_too_long" \
            else f"at most {ctx.get('max_length')} {label}s at a time"
    elif kind in ("greater_than_equal", "greater_than"):
        text = f"{label} must be at least {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        text = f"{label} must be at most {ctx.get('le', ctx.get('lt'))}"
    elif kind.startswith(("int_", "float_", "decimal_")):
        text = f"{label} must be a number, not {_given(first.get('input'))}"
    elif kind.startswith("bool"):
        text = f"{label} must be yes or no (true/false), not {_given(first.get('input'))}"
    elif kind == "enum":
        text = f"{label} must be one of {ctx.get('expected')}"
    elif kind == "extra_forbidden":
        text = f"{label} is not something that can be set here"
    else:
        text = f"{label}: {msg[:1].lower() + msg[1:]}"
    return BadInput(text[:1].upper() + text[1:] + ".", field)


def parse(model: type[Input], **data) -> Input:
    """Build a model, turning pydantic's errors into one BadInput a person can read."""
    try:
        return model(**data)
    except ValidationError as exc:
        raise readable(exc) from None


class NewClient(Input):
    name: OrgName
    plan: PlanType
    seats: int = Field(ge=1, le=1_000_000)
    owner_email: Email
    billing_email: Email

    @field_validator("plan", mode="before")
    @classmethod
    def _plan(cls, v):
        return PlanType.parse(v) if isinstance(v, str) else v


class Rename(Input):
    name: OrgName


class Seats(Input):
    seats: int = Field(ge=1, le=1_000_000)


class StaffInvite(Input):
    emails: list[Email] = Field(min_length=1)
    role: StaffRole

    @field_validator("emails")
    @classmethod
    def _batch(cls, v: list[str]) -> list[str]:
        if len(v) > MAX_INVITE_BATCH:
            raise ValueError(f"You can only submit up to {MAX_INVITE_BATCH} emails at a time.")
        return list(dict.fromkeys(v))


class MemberInvite(Input):
    emails: list[Email] = Field(min_length=1)
    role: MemberRole = MemberRole.USER
    permissions: frozenset[str] = frozenset()

    @field_validator("emails")
    @classmethod
    def _batch(cls, v: list[str]) -> list[str]:
        if len(v) > MAX_INVITE_BATCH:
            raise ValueError(f"You can only submit up to {MAX_INVITE_BATCH} emails at a time.")
        return list(dict.fromkeys(v))

    @field_validator("permissions")
    @classmethod
    def _flags(cls, v: frozenset[str]) -> frozenset[str]:
        unknown = sorted(set(v) - set(CUSTOM_FLAGS))
        if unknown:
            raise ValueError(f"Unknown permission {unknown[0]!r}; known: {', '.join(CUSTOM_FLAGS)}")
        return v


class MemberRoleChange(Input):
    role: MemberRole
    permissions: frozenset[str] = frozenset()

    _flags = field_validator("permissions")(MemberInvite._flags.__func__)  # type: ignore[attr-defined]


class NewAccount(Input):
    email: Email
    name: PersonName = ""
    password: str = Field(min_length=12, max_length=1024)


class NewProvider(Input):
    provider: OrgName
    email: Email
    name: PersonName = ""
    password: str = Field(min_length=12, max_length=1024)


class GroupInput(Input):
    name: GroupName


class ClientGroupInput(Input):
    name: OrgName


class CollectionInput(Input):
    name: Annotated[str, Field(max_length=200), AfterValidator(_check_name)]


class AccessGrant(Input):
    access: CollectionAccess
