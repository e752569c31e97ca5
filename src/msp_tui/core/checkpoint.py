"""Checkpoints of the event chain kept OUTSIDE the database (B4).

A checkpoint is the chain's length and head hash at one moment: `(count, hash)`. Anyone who can
write the database can rewrite its event rows and the chain head together, so a chain alone cannot
show that events were cut from its end; a checkpoint the program wrote elsewhere can. `verify_chain`
then checks that the log still has at least `count` events and that event `count` has that hash
(which, the chain being linked, vouches for every event before it too).

The program appends one line to a checkpoint file after every write transaction that touched the
chain (and `write_checkpoint` can be run from a timer):

    msp-tui-checkpoint v1 count=1234 head=<64 hex> at=2026-11-25T09:00:00Z

One short `write()` on a file opened with O_APPEND, so several processes append without mixing
lines; a record cut short by a crash is skipped when read (and does not swallow the next one). The newest (largest) checkpoint wins.
Optionally each line also goes to syslog (facility AUTHPRIV), where a log forwarder can carry it off
the host, out of reach of anyone who can only write the database.

Where: `MSP_TUI_CHECKPOINT` (a path, or `off`); otherwise, for a SQLite file, `<database>.checkpoint`
next to it; a PostgreSQL database gets no checkpoint file unless `MSP_TUI_CHECKPOINT` names one.
`MSP_TUI_CHECKPOINT_SYSLOG=1` turns syslog on.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from msp_tui.core.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from msp_tui.core.db import Database

ENV_PATH = "MSP_TUI_CHECKPOINT"
ENV_SYSLOG = "MSP_TUI_CHECKPOINT_SYSLOG"
SUFFIX = ".checkpoint"
MARK = "msp-tui-checkpoint "
_RECORD = re.compile(r"^v1 count=(\d{1,19}) head=([0-9a-f]{64}) at=(\S+)\s*$")
log = logging.getLogger("msp_tui.checkpoint")


@dataclass(frozen=True)
class Checkpoint:
    count: int
    head: bytes
    at: str = ""

    def line(self) -> str:
        return f"{MARK}v1 count={self.count} head={self.head.hex()} at={self.at}\n"

    def as_tuple(self) -> tuple[int, bytes]:
        return (self.count, self.head)


def parse_records(line: str) -> list[Checkpoint]:
    """The checkpoints in one line of the file. A line cut short by a crash (or a full disk) has the
    next record glued to it; splitting on the marker keeps that next record."""
    found = []
    for part in line.split(MARK)[1:]:
        m = _RECORD.match(part)
        if m is not None:
            found.append(Checkpoint(int(m.group(1)), bytes.fromhex(m.group(2)), m.group(3)))
    return found


def parse_line(line: str) -> Checkpoint | None:
    """The last checkpoint in a line, or None for anything else (a torn or foreign line)."""
    found = parse_records(line)
    return found[-1] if found else None


def _parse_json(line: str) -> list[Checkpoint]:
    """A checkpoint saved as JSON (`{"count": .., "head": ..}`, as `events verify --write-checkpoint`
    wrote them at first)."""
    import json

    try:
        data = json.loads(line)
        return [Checkpoint(int(data["count"]), bytes.fromhex(data["head"]), str(data.get("written_at", "")))]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def read_checkpoints(path: str | os.PathLike) -> list[Checkpoint]:
    """Every well-formed checkpoint in the file, in file order."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [cp for line in f
                    for cp in (_parse_json(line) if line.lstrip().startswith("{") else parse_records(line))]
    except FileNotFoundError:
        raise BadInput(f"No checkpoint file {os.fspath(path)!r}.", "checkpoint") from None
    except OSError as exc:
        raise BadInput(f"Cannot read the checkpoint file {os.fspath(path)!r}: {exc.strerror}.",
                       "checkpoint") from None


def latest(path: str | os.PathLike) -> Checkpoint:
    """The checkpoint with the most events (the strongest claim the file makes)."""
    found = read_checkpoints(path)
    if not found:
        raise BadInput(f"The checkpoint file {os.fspath(path)!r} holds no checkpoint.", "checkpoint")
    return max(found, key=lambda cp: cp.count)


def read_checkpoint(path: str | os.PathLike) -> tuple[int, bytes]:
    """`(count, head hash)` of the newest checkpoint in a file, for `events.verify_chain(checkpoint=)`."""
    return latest(path).as_tuple()


def append(path: str | os.PathLike, count: int, head: bytes, *, to_syslog: bool = False) -> Checkpoint:
    """Append one checkpoint line (file created 0600). One write() call: lines never interleave."""
    cp = Checkpoint(count, bytes(head), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    data = cp.line().encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    if to_syslog:
        _syslog(cp)
    return cp


def _syslog(cp: Checkpoint) -> None:
    try:
        import syslog
    except ImportError:  # pragma: no cover - not on Windows
        return
    syslog.openlog("msp-tui", syslog.LOG_PID, syslog.LOG_AUTHPRIV)
    syslog.syslog(syslog.LOG_INFO, cp.line().rstrip("\n"))


def chain_state(session: Session) -> tuple[int, bytes]:
    """`(count, head hash)` of the chain as this session sees it."""
    from msp_tui.core.models import EventChainHead

    head = session.get(EventChainHead, 1)
    return (head.count, bytes(head.last_hash)) if head is not None else (0, bytes(32))


def default_path(db: Database) -> Path | None:
    """`MSP_TUI_CHECKPOINT`, else `<sqlite file>.checkpoint`; None when there is none (or 'off')."""
    env = os.environ.get(ENV_PATH, "").strip()
    if env.lower() in ("off", "none", "0"):
        return None
    if env:
        return Path(env).expanduser()
    if db.is_sqlite and db.url.database and db.url.database != ":memory:":
        return Path(db.url.database + SUFFIX)
    return None


def write_checkpoint(db: Database, path: str | os.PathLike | None = None, *,
                     to_syslog: bool | None = None) -> Checkpoint:
    """Read the chain's current head and append it as a checkpoint (for timers and `verify`)."""
    target = Path(path) if path is not None else default_path(db)
    if target is None:
        raise BadInput("No checkpoint file: give a path or set MSP_TUI_CHECKPOINT.", "checkpoint")
    with db.read() as s:
        count, head = chain_state(s)
    if to_syslog is None:
        to_syslog = _syslog_wanted()
    return append(target, count, head, to_syslog=to_syslog)


def _syslog_wanted() -> bool:
    return os.environ.get(ENV_SYSLOG, "").strip().lower() in ("1", "yes", "true", "on")


class Checkpointer:
    """Appends a checkpoint after each committed write transaction that moved the chain."""

    def __init__(self, path: Path | None, to_syslog: bool = False) -> None:
        self.path = path
        self.to_syslog = to_syslog
        self.last_count: int | None = None

    def after_write(self, session: Session) -> None:
        if self.path is None and not self.to_syslog:
            return
        from msp_tui.core.models import EventChainHead

        head = session.info.get("chain_head") or session.identity_map.get(identity_key(EventChainHead, 1))
        if head is None or head.count == self.last_count:
            return
        try:
            if self.path is not None:
                append(self.path, head.count, head.last_hash, to_syslog=self.to_syslog)
            elif self.to_syslog:
                _syslog(Checkpoint(head.count, bytes(head.last_hash)))
            self.last_count = head.count
        except OSError as exc:
            # The change is committed; a checkpoint that cannot be written must not undo or hide it.
            log.warning("could not write the event checkpoint to %s: %s", self.path, exc.strerror)


def attach(db: Database) -> Checkpointer:
    """Set up the database's checkpointing from the environment (called when a Database opens)."""
    return Checkpointer(default_path(db), _syslog_wanted())


__all__ = ["Checkpoint", "Checkpointer", "append", "attach", "chain_state", "default_path", "latest",
           "parse_line", "parse_records", "read_checkpoint", "read_checkpoints", "write_checkpoint"]
