"""Input models: what bad input is, in one place. Every use case validates through these."""

from __future__ import annotations

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
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address") from exc
    return result.normalized.lower()


def _check_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a name cannot be empty")
    # Cc control (ESC, NUL, CR...), Cf format (bidi overrides), Cs lone surrogates (undecodable
    # bytes), Zl/Zp line and paragraph separators.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in value):
        raise ValueError("a name cannot contain control or formatting characters")
    return value


def _check_person_name(value: str) -> str:
    return _check_name(value) if value.strip() else ""


Email = Annotated[str, AfterValidator(_check_email)]
OrgName = Annotated[str, Field(max_length=50), AfterValidator(_check_name)]
PersonName = Annotated[str, Field(max_length=100), AfterValidator(_check_person_name)]
GroupName = Annotated[str, Field(max_length=100), AfterValidator(_check_name)]


class Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def parse(model: type[Input], **data) -> Input:
    """Build a model, turning pydantic's errors into one BadInput a person can read."""
    try:
        return model(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        msg = first["msg"].removeprefix("Value error, ")
        raise BadInput(f"{field}: {msg}" if field else msg, field) from None


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
            raise ValueError(f"unknown permission {unknown[0]!r}")
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


class CollectionInput(Input):
    name: Annotated[str, Field(max_length=200), AfterValidator(_check_name)]


class AccessGrant(Input):
    access: CollectionAccess
