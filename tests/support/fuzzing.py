"""What the webhook fuzz tests share: hypothesis settings (on the profile tests/conftest.py loads) and
JSON-shaped values."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

FUZZ = settings(
    deadline=None,
    # Shrinking replays hundreds of near-identical requests (some of 300 KB) for minutes; the failure
    # message carries the body instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
