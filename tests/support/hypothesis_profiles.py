"""Hypothesis profiles: `ci` derandomized (the same examples every run, CI sets CI=true), `dev` random with
an example database under .hypothesis/ (git-ignored), so a failure found locally is replayed first next run.

A random run draws from one seed per session, printed in pytest's header: `--hypothesis-seed=N` reruns it.
`--hypothesis-profile` picks a profile by hand; `make mutate` picks `mutate` (derandomized, fewer examples).

No profile has a deadline: tests assert no timings, and on a shared 2-core machine (or under mutmut's
tracing) an example that takes 250 ms instead of 1 ms says nothing about the code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

EXAMPLES = Path(__file__).resolve().parents[2] / ".hypothesis" / "examples"

settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile(
    "dev", database=DirectoryBasedExampleDatabase(EXAMPLES), print_blob=True, deadline=None
)
settings.register_profile("mutate", derandomize=True, database=None, deadline=None, max_examples=40)


def load_profile() -> None:
    settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


def choose_seed(config: pytest.Config) -> None:
    """Unless a seed was given, picks one (AW_HYPOTHESIS_SEED or random) for the hypothesis plugin to use."""
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = os.environ.get("AW_HYPOTHESIS_SEED") or str(secrets.randbits(32))


def report_header(config: pytest.Config) -> str:
    profile = settings.get_current_profile_name()
    if settings.default.derandomize:
        return f"hypothesis: profile {profile!r}, derandomized (no seed)"
    seed = config.getoption("hypothesis_seed", None)
    return f"hypothesis: profile {profile!r}, seed {seed} (rerun with --hypothesis-seed={seed})"


def session_seed(config: pytest.Config) -> str:
    """What a test that reports its own failures (the OpenAPI fuzzer) names to rerun them."""
    if settings.default.derandomize:
        return f"profile {settings.get_current_profile_name()!r}, derandomized"
    return f"--hypothesis-seed={config.getoption('hypothesis_seed', None)}"
