"""Validators shared across the apps."""

import unicodedata
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


# Unicode categories no name needs: control (Cc), format (Cf: the bidirectional overrides
# and isolates, zero-width spaces and joiners, the soft hyphen), surrogates, private use,
# unassigned code points, and line or paragraph separators. A bidirectional override
# makes a name read differently on screen than it is stored; a zero-width character
# makes two names that look the same search as different people.
_REFUSED_IN_NAMES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def validate_person_name(value: str) -> None:
    """A person's name: any script, accents, apostrophes, hyphens and spaces are kept;
    invisible and direction-changing characters are refused, each named."""
    refused = sorted({char for char in value if unicodedata.category(char) in _REFUSED_IN_NAMES})
    if refused:
        names = ", ".join(
            f"U+{ord(char):04X} {unicodedata.name(char, 'control character').lower()}" for char in refused
        )
        raise ValidationError(
            "Names may not contain invisible or direction-changing characters (found: %(names)s); "
            "retype the name without them.",
            params={"names": names},
            code="invisible_characters",
        )
