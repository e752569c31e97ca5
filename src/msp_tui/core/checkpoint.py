"""Checkpoints of the event chain kept OUTSIDE the database (B4), and the signing keys pinned there.

A checkpoint is the chain's length and head hash at one moment: `(count, hash)`. Anyone who can
write the database can rewrite its event rows and the chain head together, so a chain alone cannot
show that events were cut from its end; a checkpoint the program wrote elsewhere can. `verify_chain`
checks every line of the file: the log still has at least `count` events and event `count` has that
hash (which, the chain being linked, vouches for every event before it too).

A line is appended after a write transaction that moved the chain, and only after the events since
the file's newest line have been verified (links, hashes, signatures against the pinned keys): a
database whose tail was cut or rewritten gets no new line, so it cannot vouch for itself. The cost
is the new events only. The file also pins the public signing keys verify trusts (each person's and
the provider's system key), the first time each signs: a key replaced inside the database no longer
matches its pin.

    msp-tui-checkpoint v1 key signer=system ed25519=<64 hex> at=2026-11-25T09:00:00Z
    msp-tui-checkpoint v1 count=1234 head=<64 hex> at=2026-11-25T09:00:00Z

One short `write()` on a file opened with O_APPEND, so several processes append without mixing
lines; a record cut short by a crash is skipped when read (and does not swallow the next one).
A missing file is never silently made again (that would vouch for whatever the database now holds):
it is created when the chain itself starts (the transaction that wrote event 1), or on purpose with
`events verify --new-checkpoint`. Optionally each line also goes to syslog (facility AUTHPRIV).

Where: `MSP_TUI_CHECKPOINT` (a path, or `off`); otherwise, for a SQLite file, `<database>.checkpoint`
next to it; a PostgreSQL database gets no checkpoint file unless `MSP_TUI_CHECKPOINT` names one.
`MSP_TUI_CHECKPOINT_SYSLOG=1` turns syslog on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from msp_tui.core.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from msp_tui.core.db import Database

ENV_PATH = "MSP_TUI_CHECKPOINT"
ENV_SYSLOG = "MSP_TUI_CHECKPOINT_SYSLOG"
SUFFIX = ".checkpoint"
MARK = "msp-tui-checkpoint "
#: The signer name of the provider's system key (events with no acting person).
SYSTEM = "system"
NO_CHECKPOINT = "no checkpoint: a cut tail cannot be detected"
log = logging.getLogger("msp_tui.checkpoint")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Line:
    """One record of the file, `msp-tui-checkpoint v1 [<kind> ]name=value … at=<time>`: its fields (the
    attribute, its name in the line, its pattern, how its text is read) are listed once, and both the
    writing (`line`) and the reading (`parse`) follow that list, so the two cannot drift apart."""

    KIND: ClassVar[str] = ""
    FIELDS: ClassVar[tuple] = ()
    _pattern: ClassVar[re.Pattern | None] = None

    def line(self) -> str:
        values = " ".join(f"{name}={_text(getattr(self, attr))}" for attr, name, _p, _r in self.FIELDS)
        return f"{MARK}v1 {self.KIND}{values} at={self.at}\n"

    @classmethod
    def parse(cls, part: str):
        if cls.__dict__.get("_pattern") is None:
            cls._pattern = re.compile("^v1 " + re.escape(cls.KIND) + " ".join(
                f"{name}=({pattern})" for _a, name, pattern, _r in cls.FIELDS) + r" at=(\S+)\s*$")
        m = cls._pattern.match(part)
        if m is None:
            return None
        return cls(*(read(m.group(i + 1)) for i, (_a, _n, _p, read) in enumerate(cls.FIELDS)),
                   m.group(len(cls.FIELDS) + 1))


def _text(value) -> str:
    return value.hex() if isinstance(value, bytes | bytearray) else str(value)


_HEX32 = "[0-9a-f]{64}"


@dataclass(frozen=True)
class Checkpoint(_Line):
    count: int
    head: bytes
    at: str = ""

    FIELDS: ClassVar[tuple] = (("count", "count", r"\d{1,19}", int), ("head", "head", _HEX32, bytes.fromhex))

    def as_tuple(self) -> tuple[int, bytes]:
        return (self.count, self.head)


@dataclass(frozen=True)
class KeyPin(_Line):
    """A signing key verify trusts: `signer` is 'system' or an account id in hex."""

    signer: str
    public: bytes
    at: str = ""

    KIND: ClassVar[str] = "key "
    FIELDS: ClassVar[tuple] = (("signer", "signer", "system|[0-9a-f]{32}", str),
                               ("public", "ed25519", _HEX32, bytes.fromhex))


def key_fingerprint(public: bytes) -> str:
    """A key as a person compares it: the first 16 bytes of its SHA-256, in groups of four hex digits."""
    digest = hashlib.sha256(bytes(public)).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def key_set_fingerprint(keys: dict[str, bytes]) -> str:
    """Every pinned key at once, as a person compares it with a copy of the file kept elsewhere."""
    listing = "".join(f"{signer}={bytes(public).hex()}\n" for signer, public in sorted(keys.items()))
    return key_fingerprint(listing.encode())


def signer_name(account_id) -> str:
    """The pin name of an event's signer: its acting account (hex), or 'system' when there is none."""
    return SYSTEM if account_id is None else account_id.hex


def _parse(line: str) -> list[Checkpoint | KeyPin]:
    found: list[Checkpoint | KeyPin] = []
    for part in line.split(MARK)[1:]:
        record = Checkpoint.parse(part) or KeyPin.parse(part)
        if record is not None:
            found.append(record)
    return found


def parse_records(line: str) -> list[Checkpoint]:
    """The checkpoints in one line of the file. A line cut short by a crash (or a full disk) has the
    next record glued to it; splitting on the marker keeps that next record."""
    return [r for r in _parse(line) if isinstance(r, Checkpoint)]


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


@dataclass
class CheckpointFile:
    """Everything one checkpoint file says: its checkpoints and its key pins, in file order.
    The pinned keys and the newest checkpoint are kept up to date as records are added, so a write
    that reads a few new lines does not walk thousands of older ones again."""

    path: str = ""
    checkpoints: list[Checkpoint] = field(default_factory=list)
    pins: list[KeyPin] = field(default_factory=list)
    _keys: dict = field(default_factory=dict, repr=False)
    _conflicts: set = field(default_factory=set, repr=False)
    _latest: Checkpoint | None = field(default=None, repr=False)

    def add(self, records) -> None:
        for r in records:
            if isinstance(r, Checkpoint):
                self.checkpoints.append(r)
                if self._latest is None or r.count > self._latest.count:
                    self._latest = r
            else:
                self.pins.append(r)
                first = self._keys.setdefault(r.signer, r.public)
                if first != r.public:
                    self._conflicts.add(r.signer)

    @property
    def keys(self) -> dict[str, bytes]:
        """Each signer's pinned key (the first pin; a second, different one is a conflict)."""
        return self._keys

    def conflicts(self) -> list[str]:
        """Signers the file pins to two different keys."""
        return sorted(self._conflicts)

    @property
    def latest(self) -> Checkpoint | None:
        return self._latest


def _parse_text(text: str) -> list:
    return [r for line in text.splitlines()
            for r in (_parse_json(line) if line.lstrip().startswith("{") else _parse(line))]


def read_file(path: str | os.PathLike) -> CheckpointFile:
    """Every well-formed record of a checkpoint file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        raise BadInput(f"No checkpoint file {os.fspath(path)!r}.", "checkpoint") from None
    except OSError as exc:
        raise BadInput(f"Cannot read the checkpoint file {os.fspath(path)!r}: {exc.strerror}.",
                       "checkpoint") from None
    found = CheckpointFile(os.fspath(path))
    found.add(_parse_text(text))
    return found


def read_checkpoints(path: str | os.PathLike) -> list[Checkpoint]:
    """Every well-formed checkpoint in the file, in file order."""
    return read_file(path).checkpoints


def latest(path: str | os.PathLike) -> Checkpoint:
    """The checkpoint with the most events (the strongest claim the file makes)."""
    found = read_checkpoints(path)
    if not found:
        raise BadInput(f"The checkpoint file {os.fspath(path)!r} holds no checkpoint.", "checkpoint")
    return max(found, key=lambda cp: cp.count)


def read_checkpoint(path: str | os.PathLike) -> tuple[int, bytes]:
    """`(count, head hash)` of the newest checkpoint in a file."""
    return latest(path).as_tuple()


def _append_lines(path: str | os.PathLike, text: str) -> None:
    """One write() on an O_APPEND file (created 0600): lines of several writers never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def append(path: str | os.PathLike, count: int, head: bytes, *, to_syslog: bool = False) -> Checkpoint:
    """Append one checkpoint line as it is given, unverified (tests, and the intruder's own tools)."""
    cp = Checkpoint(count, bytes(head), _now())
    _append_lines(path, cp.line())
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


def _vouch(session: Session, known: CheckpointFile, count: int, head: bytes) -> tuple[str, list[str]]:
    """The lines to append for a chain at (count, head), after verifying the events since the
    file's newest checkpoint; raises BadInput naming the problem when they do not verify."""
    from msp_tui.core import events

    start = known.latest or Checkpoint(0, bytes(32))
    result = events.verify_segment(session, start.count, start.head, count, head, known.keys)
    if not result.ok:
        raise BadInput(f"the event log does not match the checkpoint file {known.path}: {result.problem}",
                       "checkpoint")
    at = _now()
    new_keys = dict(result.new_keys)
    if SYSTEM not in known.keys and SYSTEM not in new_keys:
        # The system key is pinned from the first line (it signs failed sign-ins only later, when
        # staff countersign them, so no new event may bring it).
        system = events.system_public_key(session)
        if system is not None:
            new_keys[SYSTEM] = system
    pins = [KeyPin(signer, public, at) for signer, public in new_keys.items()]
    cp = Checkpoint(count, head, at)
    return "".join(p.line() for p in pins) + cp.line(), [p.signer for p in pins]


def write_checkpoint(db: Database, path: str | os.PathLike | None = None, *, start: bool = False,
                     to_syslog: bool | None = None) -> Checkpoint:
    """Verify the chain since the file's newest checkpoint and append the head (timers, `verify`).
    A missing file is made only with `start` (the whole chain is then verified from event 1)."""
    target = Path(path) if path is not None else default_path(db)
    if target is None:
        raise BadInput("No checkpoint file: give a path or set MSP_TUI_CHECKPOINT.", "checkpoint")
    if target.exists():
        known = read_file(target)
    elif start:
        known = CheckpointFile(os.fspath(target))
    else:
        raise BadInput(f"{NO_CHECKPOINT} ({target} is missing; start a new one with "
                       "`msp-tui events verify --new-checkpoint`).", "checkpoint")
    with db.read() as s:
        count, head = chain_state(s)
        text, _ = _vouch(s, known, count, head)
    _append_lines(target, text)
    cp = Checkpoint(count, head)
    if to_syslog if to_syslog is not None else _syslog_wanted():
        _syslog(cp)
    return cp


def _syslog_wanted() -> bool:
    return os.environ.get(ENV_SYSLOG, "").strip().lower() in ("1", "yes", "true", "on")


class Checkpointer:
    """Appends a checkpoint after each committed write transaction that moved the chain, once the
    events since the file's newest line have verified. It reads the file incrementally (only what
    other writers appended since), so a write costs the new events and the new lines only."""

    def __init__(self, path: Path | None, to_syslog: bool = False, db: Database | None = None) -> None:
        self.path = path
        self.to_syslog = to_syslog
        self.db = db
        self.last_count: int | None = None
        self._known = CheckpointFile(os.fspath(path) if path else "")
        self._offset = 0
        self._warned = False

    def _read_new(self) -> None:
        """Take in the lines appended since the last read (by this or another process)."""
        if self._known.path != os.fspath(self.path):  # the path was changed (tests, tools)
            self._known, self._offset = CheckpointFile(os.fspath(self.path)), 0
        with open(self.path, "rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._offset += end
        self._known.add(_parse_text(data[:end].decode("utf-8", "replace")))

    def vouched_through(self, session: Session) -> int:
        """The newest checkpoint's count when the database still matches it, else 0: the events up to
        there are pinned by the file (core.events.countersign signs no event past it)."""
        if self.path is None or not self.path.exists():
            return 0
        from msp_tui.core import events

        try:
            self._read_new()
        except OSError:
            return 0
        cp = self._known.latest
        if cp is None or events.hash_of(session, cp.count) != cp.head:
            return 0
        return cp.count

    def after_write(self, session: Session) -> None:
        if self.path is None and not self.to_syslog:
            return
        from msp_tui.core.models import EventChainHead

        head = session.info.get("chain_head") or session.identity_map.get(identity_key(EventChainHead, 1))
        if head is None or head.count == self.last_count:
            return
        count, last_hash = head.count, bytes(head.last_hash)
        if self.path is None:  # syslog only: nothing to read back, so the head is sent as it is
            _syslog(Checkpoint(count, last_hash, _now()))
            self.last_count = count
            return
        try:
            if not self.path.exists():
                if not session.info.get("chain_started"):
                    # Not made again (it would vouch for whatever the database holds now); `events
                    # verify` reports it, and `--new-checkpoint` starts a new one after a clean check.
                    log.debug("%s: %s is missing", NO_CHECKPOINT, self.path)
                    return
                self._known, self._offset = CheckpointFile(os.fspath(self.path)), 0
            else:
                self._read_new()
            with self.db.read() as s:
                text, _ = _vouch(s, self._known, count, last_hash)
            _append_lines(self.path, text)
            if self.to_syslog:
                _syslog(Checkpoint(count, last_hash, _now()))
            self.last_count = count
        except BadInput as exc:
            # The change is committed; the log it joined does not match the file, so no line vouches
            # for it. `events verify` names the problem.
            self._warn(f"no event checkpoint written: {exc.message}")
        except OSError as exc:
            # The change is committed; a checkpoint that cannot be written must not undo or hide it.
            log.warning("could not write the event checkpoint to %s: %s", self.path, exc.strerror)

    @contextmanager
    def paused(self):
        """No checkpoint lines for a while: a builder writing events in bulk (core.demo) verifies its
        own work and then calls `vouch_own`, instead of every batch re-verifying itself."""
        saved = self.path, self.to_syslog
        self.path, self.to_syslog = None, False
        try:
            yield
        finally:
            self.path, self.to_syslog = saved

    def vouch_own(self, count: int, head: bytes, keys: dict[str, bytes]) -> None:
        """Append (count, head) and pins for `keys` (signer name -> public key) that the file does not
        pin yet, unverified: only for events this process made and hashed itself (core.demo)."""
        if self.path is None:
            return
        if self.path.exists():
            self._read_new()
        pinned = self._known.keys
        at = _now()
        text = "".join(KeyPin(k, bytes(v), at).line() for k, v in keys.items() if k not in pinned)
        _append_lines(self.path, text + Checkpoint(count, bytes(head), at).line())
        self.last_count = count

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("%s", message)


def attach(db: Database) -> Checkpointer:
    """Set up the database's checkpointing from the environment (called when a Database opens)."""
    return Checkpointer(default_path(db), _syslog_wanted(), db)


__all__ = ["Checkpoint", "CheckpointFile", "Checkpointer", "KeyPin", "NO_CHECKPOINT", "SYSTEM", "append",
           "attach", "chain_state", "default_path", "key_fingerprint", "latest", "parse_line", "parse_records",
           "read_checkpoint", "read_checkpoints", "read_file", "signer_name", "write_checkpoint"]
