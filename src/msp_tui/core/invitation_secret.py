"""An invitation's one-time secret: the inviter sees it once, the database keeps only its hash.

Accepting an invitation needs the email *and* this secret, so whoever can reach the sign-in
screen (a browser page, a local user at `msp-tui accept`) cannot claim someone else's invitation.
The secret has 100 random bits, so a plain SHA-256 of it cannot be reversed by guessing; it is
written in groups of four base-32 letters (no 0/1/8 look-alikes) so it can be read out or typed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
GROUPS = 5
#: The one answer to every failed accept: unknown email, no invitation, wrong, used or expired secret.
NO_MATCH = ("No pending invitation matches this email and secret (it may be mistyped, used or expired; "
            "ask for a new invitation).")


def new() -> tuple[str, str]:
    """A fresh secret and the hash to store."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(4 * GROUPS))
    secret = "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    return secret, digest(secret)


def _normal(secret: str) -> str:
    # Read out loud or copied from a table: case, dashes and spaces do not matter.
    return "".join(ch for ch in (secret or "").upper() if ch.isalnum())


def digest(secret: str) -> str:
    return hashlib.sha256(b"msp-tui invitation\x00" + _normal(secret).encode()).hexdigest()


def matches(stored: str | None, secret: str) -> bool:
    """Whether `secret` is the one whose hash is `stored` (never for an invitation without one)."""
    return bool(stored) and hmac.compare_digest(stored, digest(secret))
