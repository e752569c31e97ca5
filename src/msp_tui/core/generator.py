"""The password generator (policy 2): random characters or a passphrase from the EFF long word list.

Pure rules, no database: the options a person asks for, raised to what a client's Password generator
policy demands (`bounded`); options the admin left unset impose nothing. Randomness from `secrets`.
The word list is the EFF long list packaged in `xkcdpass` (7,776 words, 12.9 bits each), never typed here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Literal

from msp_tui.core.errors import BadInput
from msp_tui.core.policies import PasswordGeneratorOptions

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
NUMBERS = "0123456789"
#: The reference generator's special characters.
SPECIAL = "!@#$%^&*"

#: The reference's bounds (default-password-boundaries / default-passphrase-boundaries, older 3–20).
LENGTH_MIN, LENGTH_MAX = 5, 128
MINIMUM_MAX = 9
WORDS_MIN, WORDS_MAX = 3, 20


@dataclass(frozen=True)
class GeneratorOptions:
    """What the person asks for; `bounded()` raises it to a policy's minimums."""

    kind: Literal["password", "passphrase"] = "password"
    length: int = 14
    upper: bool = True
    lower: bool = True
    numbers: bool = True
    special: bool = False
    min_numbers: int = 1
    min_special: int = 0
    words: int = 6
    separator: str = "-"
    capitalize: bool = False
    include_number: bool = False

    def check(self) -> None:
        """BadInput naming the option out of bounds."""
        if not LENGTH_MIN <= self.length <= LENGTH_MAX:
            raise BadInput(f"The length must be between {LENGTH_MIN} and {LENGTH_MAX}.", "length")
        for key in ("min_numbers", "min_special"):
            if not 0 <= getattr(self, key) <= MINIMUM_MAX:
                raise BadInput(f"{key.replace('_', ' ').capitalize()} must be between 0 and {MINIMUM_MAX}.", key)
        if not WORDS_MIN <= self.words <= WORDS_MAX:
            raise BadInput(f"The number of words must be between {WORDS_MIN} and {WORDS_MAX}.", "words")
        if len(self.separator) > 1:
            raise BadInput("The word separator is one character (or none).", "separator")
        if self.kind == "password" and not (self.upper or self.lower or self.numbers or self.special):
            raise BadInput("Choose at least one kind of character: upper, lower, numbers or special.", "upper")


def combine(policies: list[PasswordGeneratorOptions]) -> PasswordGeneratorOptions | None:
    """Several clients' Password generator policies as one: the highest minimums, every flag any sets,
    and a passphrase when any of them forces one. None when there are none."""
    if not policies:
        return None

    def top(key):
        values = [getattr(p, key) for p in policies if getattr(p, key) is not None]
        return max(values) if values else None

    types = {p.override_password_type for p in policies}
    override = "passphrase" if "passphrase" in types else "password" if "password" in types else None
    flags = {k: any(getattr(p, k) for p in policies)
             for k in ("use_upper", "use_lower", "use_numbers", "use_special", "capitalize", "include_number")}
    return PasswordGeneratorOptions(override_password_type=override, min_length=top("min_length"),
                                    min_numbers=top("min_numbers"), min_special=top("min_special"),
                                    min_number_words=top("min_number_words"), **flags)


def bounded(options: GeneratorOptions, policy: PasswordGeneratorOptions | None) -> GeneratorOptions:
    """`options` raised to the policy's demands: a forced type, a longer length, characters turned on,
    higher minimums, more words. What the policy leaves unset (None, False) changes nothing."""
    if policy is None:
        return options
    o = options
    if policy.override_password_type:
        o = replace(o, kind=policy.override_password_type)
    if policy.min_length is not None:
        o = replace(o, length=max(o.length, policy.min_length))
    o = replace(o, upper=o.upper or policy.use_upper, lower=o.lower or policy.use_lower,
                numbers=o.numbers or policy.use_numbers, special=o.special or policy.use_special,
                capitalize=o.capitalize or policy.capitalize, include_number=o.include_number or policy.include_number)
    if policy.min_numbers is not None:
        o = replace(o, min_numbers=max(o.min_numbers, policy.min_numbers))
    if policy.min_special is not None:
        o = replace(o, min_special=max(o.min_special, policy.min_special))
    if policy.min_number_words is not None:
        o = replace(o, words=max(o.words, policy.min_number_words))
    # Minimums of a kind turn that kind on (as the reference generator does).
    return replace(o, numbers=o.numbers or o.min_numbers > 0, special=o.special or o.min_special > 0)


@lru_cache(maxsize=1)
def eff_long_words() -> tuple[str, ...]:
    """The EFF long word list, as packaged in xkcdpass."""
    text = (resources.files("xkcdpass") / "static" / "eff-long").read_text(encoding="utf-8")
    return tuple(w for w in text.split() if w)


def generate_password(o: GeneratorOptions) -> str:
    """Random characters: at least one of each kind turned on, the minimums of numbers and special
    characters, the rest from every kind turned on, shuffled. The length grows to fit the minimums."""
    o.check()
    kinds = [(UPPER, o.upper), (LOWER, o.lower), (NUMBERS, o.numbers), (SPECIAL, o.special)]
    chars = [secrets.choice(pool) for pool, on in kinds[:2] if on]
    chars += [secrets.choice(NUMBERS) for _ in range(max(o.min_numbers, 1) if o.numbers else 0)]
    chars += [secrets.choice(SPECIAL) for _ in range(max(o.min_special, 1) if o.special else 0)]
    every = "".join(pool for pool, on in kinds if on)
    chars += [secrets.choice(every) for _ in range(max(o.length, len(chars)) - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def generate_passphrase(o: GeneratorOptions) -> str:
    o.check()
    words = eff_long_words()
    chosen = [secrets.choice(words) for _ in range(o.words)]
    if o.capitalize:
        chosen = [w[:1].upper() + w[1:] for w in chosen]
    if o.include_number:
        i = secrets.randbelow(len(chosen))
        chosen[i] += secrets.choice(NUMBERS)
    return o.separator.join(chosen)


def generate(o: GeneratorOptions) -> str:
    return generate_passphrase(o) if o.kind == "passphrase" else generate_password(o)
