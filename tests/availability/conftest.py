"""Hypothesis settings for the engine's properties: modest, so the suite stays quick."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "availability",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
