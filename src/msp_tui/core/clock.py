"""One source of 'now' (naive UTC everywhere in storage), so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current time as a naive UTC datetime (what the database stores)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


def freeze(at: datetime | None) -> None:
    """Pin `now()` to `at` (naive UTC), or release it with None. For tests and the demo."""
    global _frozen
    _frozen = at


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, the form every export and JSON listing uses."""
    if dt is None:
        return None
    return dt.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
