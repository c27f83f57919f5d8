from django import template

from patients.choices import Contraindication, SideEffect, SkinConcern
from scheduling.models import Appointment, WaitlistEntry

from ..charts import percent as as_percent
from ..phones import phone_as_dialled, phone_region

register = template.Library()


@register.filter
def get(mapping: dict, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def percent(share: float) -> str:
    return as_percent(share or 0.0)


@register.filter
def national_phone(number) -> str:
    """A number as the desk dials it (frontdesk.phones)."""
    return phone_as_dialled(number, phone_region())


CHOICE_SETS = {"side_effect": SideEffect, "concern": SkinConcern, "contraindication": Contraindication,
               "time_of_day": WaitlistEntry.TimeOfDay, "kind": Appointment.Kind}


@register.filter
def labels(codes, kind: str) -> str:
    """Stored codes in words ("pinpoint_bleeding" -> "Pinpoint bleeding"), joined."""
    names = dict(CHOICE_SETS[kind].choices)
    return ", ".join(str(names.get(code, str(code).replace("_", " "))) for code in codes or [])


@register.filter
def one_label(code, kind: str) -> str:
    """One stored code in words ("healing_check" -> "Healing check")."""
    return labels([code], kind)
