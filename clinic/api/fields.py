"""Serializer fields with messages a person can act on."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from patients.areas import needle_depths_check
from patients.choices import MAX_DEPTH_MM, MIN_DEPTH_MM


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must carry its UTC offset: a bare 10:00 is ambiguous
    across time zones and daylight saving, so it is refused rather than guessed."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-10T10:00:00+00:00 or 2026-03-10T10:00:00Z.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        elif isinstance(value, datetime) and timezone.is_naive(value):
            self.fail("naive")
        result = super().to_internal_value(value)
        if result.year < 1900 or result.year > 2200:
            raise serializers.ValidationError("Give a time between the years 1900 and 2200.")
        return result


class SafeDateField(serializers.DateField):
    """A date within a sane range, so no lookup overflows the database's date type."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if result.year < 1900 or result.year > 2200:
            raise serializers.ValidationError("Give a date between the years 1900 and 2200.")
        return result


def ref_messages(name: str) -> dict[str, str]:
    """The errors of a reference by id, naming the thing: 'No provider with id 999.'"""
    return {
        "does_not_exist": f"No {name} with id {{pk_value}}.",
        "incorrect_type": f"Give the {name}'s id as a whole number.",
        "required": f"Give the {name}'s id.",
        "null": f"Give the {name}'s id.",
    }


def ref(queryset, name: str, **kwargs) -> serializers.PrimaryKeyRelatedField:
    """A reference by id whose errors name the thing: 'No provider with id 999.'"""
    return serializers.PrimaryKeyRelatedField(queryset=queryset, error_messages=ref_messages(name), **kwargs)


class NeedleDepthsField(serializers.DictField):
    """Area -> needle depth in mm, checked by the same rule as the services
    (patients.areas): every unknown area and out-of-range depth is named."""

    child = serializers.DecimalField(max_digits=3, decimal_places=2)

    def __init__(self, *, example: str, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        kwargs.setdefault(
            "help_text", f'Area -> needle depth in mm ({MIN_DEPTH_MM}-{MAX_DEPTH_MM}), e.g. {{"face": "{example}"}}.'
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return super().to_internal_value(data)
        cleaned, errors = needle_depths_check(data)
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned
