"""One password policy for every way a password is set: the API (new users, a user's new password, the
caller's own), the CLI and the dev seed.

A password is long enough, not made of a few characters repeated, and neither a common password nor a
common password with digits or symbols around it. The common passwords are Django's list of 20,000
(from breach corpora, compiled by Royce Williams; Django is BSD-3-Clause), shipped beside this module.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

from core.errors import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_DISTINCT_CHARACTERS = 5
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
# Digits and punctuation people put around a common word to satisfy a rule: "Password123!".
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _is_common(password: str) -> bool:
    folded = password.strip().lower()
    core = _DECORATION.sub("", folded)
    candidates = {folded, folded.replace(" ", ""), core}
    # "passwordpassword", "123456123456": a common password said twice is no better.
    for size in range(1, len(folded) // 2 + 1):
        if len(folded) % size == 0 and folded[:size] * (len(folded) // size) == folded:
            candidates.add(folded[:size])
            break
    known = common_passwords()
    return any(c in known for c in candidates if c)


def password_refusal(password: str, *, email: str | None = None) -> str | None:
    """Why `password` may not be used (a sentence for the person choosing it), or None if it may."""
    if len(password) < MIN_LENGTH:
        return f"must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must have at most {MAX_LENGTH} characters"
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return f"must use at least {MIN_DISTINCT_CHARACTERS} different characters"
    if _is_common(password):
        return "is a commonly used password (found in lists of breached passwords); choose another"
    name = email.split("@", 1)[0].lower() if email else ""
    if len(name) >= 4 and name in password.lower():
        return "must not contain your email address"
    return None


def check_password(password: str, *, email: str | None = None) -> None:
    """Raises WeakPassword (HTTP 422) with the reason when the policy refuses `password`."""
    reason = password_refusal(password, email=email)
    if reason:
        raise WeakPassword(f"password {reason}")


def pydantic_check(password: str) -> str:
    """For request models (`AfterValidator`): the 422 then names the field."""
    reason = password_refusal(password)
    if reason:
        raise ValueError(reason)
    return password
