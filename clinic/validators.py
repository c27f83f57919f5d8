"""Validators shared across the apps."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Only IANA names: a fixed offset would silently ignore daylight saving."""
    if value not in _zone_names():
        raise ValidationError(
            "%(value)s is not a known time zone (use a name such as Europe/London).", params={"value": value}
        )


@deconstructible
class ChoiceListValidator:
    """Validates a JSON list whose items must come from a TextChoices class."""

    def __init__(self, choices) -> None:
        self.choices = choices

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError("Expected a list.")
        allowed = set(self.choices.values)
        unknown = sorted({str(item) for item in value} - allowed)
        if unknown:
            raise ValidationError(
                "Unknown value(s): %(unknown)s. Choose from: %(allowed)s.",
                params={"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
            )
        if len(set(value)) != len(value):
            raise ValidationError("Each value may appear only once.")

    def __eq__(self, other) -> bool:
        return isinstance(other, ChoiceListValidator) and self.choices is other.choices
