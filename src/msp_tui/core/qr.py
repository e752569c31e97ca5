"""A QR code drawn with text (the otpauth:// URI of two-step login enrolment), shared by the command
line and the UI. Two modules to a character cell (half blocks), so a version 5 or 6 code with its
quiet zone is at most 43 columns by 22 lines and fits an 80x24 terminal beside its explanation.

Light modules are the full/half blocks and dark ones the background, so the code must be drawn light
on dark (ANSI colours on the command line, a fixed style in the UI) whatever the terminal's theme."""

from __future__ import annotations

import segno

#: Modules of light margin around the code. The standard asks for 4; phone cameras read 2 well, and
#: the colours are fixed, so the margin is always light.
QUIET_ZONE = 2
_CELLS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
#: White blocks on a black background, then back to the terminal's own colours.
ANSI_ON, ANSI_OFF = "\x1b[97;40m", "\x1b[0m"


def matrix(text: str) -> list[list[bool]]:
    """Rows of modules, True for dark, quiet zone included (error correction L: the smallest code)."""
    code = segno.make(text, error="L", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=QUIET_ZONE)]


def half_block_lines(text: str, *, ansi: bool = False) -> list[str]:
    """The code as lines of half-block characters (light modules drawn), optionally in ANSI colours."""
    rows = matrix(text)
    if len(rows) % 2:
        rows.append([True] * len(rows[0]))  # a dark row below: the background
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2]):
        line = "".join(_CELLS[(not t, not b)] for t, b in zip(top, bottom))
        lines.append(f"{ANSI_ON}{line}{ANSI_OFF}" if ansi else line)
    return lines
