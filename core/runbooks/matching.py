"""Which runbooks handle an alert signature: their globs, case-insensitive. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def handles(globs: Iterable[str], signature: str) -> bool:
    # Case-folded both sides with the case-sensitive matcher, so the outcome does not depend on the
    # operating system as fnmatch.fnmatch's does (as maintenance windows match signatures).
    folded = signature.casefold()
    return any(fnmatchcase(folded, glob.casefold()) for glob in globs)
