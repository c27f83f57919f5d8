"""Reads for the visits and series staff look at, with the joins their pages and API need.

`provider` narrows a read to one provider's own work; None is the whole clinic."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from clinic.models import Location, Provider, Room
from patients.models import Patient

from .models import Appointment, SeriesHold, TreatmentSeries


def appointment_visible(*, provider: Provider | None) -> QuerySet[Appointment]:
    appointments = Appointment.objects.select_related("patient", "provider", "room", "location").prefetch_related(
        "treated_areas"
    )
    if provider is not None:
        appointments = appointments.filter(provider=provider)
    return appointments


def appointment_list(
    *,
    provider: Provider | None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    location: Location | None = None,
    with_provider: Provider | None = None,
    room: Room | None = None,
    patient: Patient | None = None,
    series: TreatmentSeries | None = None,
    kinds: Iterable[str] = (),
    statuses: Iterable[str] = (),
) -> QuerySet[Appointment]:
    """The diary: visits in a time range, filtered as the desk asks, in time order."""
    appointments = appointment_visible(provider=provider)
    if starts_after is not None:
        appointments = appointments.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        appointments = appointments.filter(starts_at__lt=starts_before)
    filters = {"location": location, "provider": with_provider, "room": room, "patient": patient, "series": series}
    appointments = appointments.filter(**{name: value for name, value in filters.items() if value is not None})
    if kinds:
        appointments = appointments.filter(kind__in=list(kinds))
    if statuses:
        appointments = appointments.filter(status__in=list(statuses))
    return appointments.order_by("starts_at", "pk")


def series_visible(*, provider: Provider | None) -> QuerySet[TreatmentSeries]:
    series = TreatmentSeries.objects.select_related("patient", "provider", "location")
    if provider is not None:
        series = series.filter(
            Q(provider=provider) | Q(Exists(Appointment.objects.filter(series=OuterRef("pk"), provider=provider)))
        )
    return series


def series_with_visits(*, provider: Provider | None) -> QuerySet[TreatmentSeries]:
    visits = (
        Appointment.objects.select_related("patient", "provider", "room", "location")
        .prefetch_related("treated_areas")
        .order_by("starts_at")
    )
    return series_visible(provider=provider).prefetch_related(
        Prefetch("appointments", queryset=visits, to_attr="visits_in_order")
    )


def series_list(
    *,
    provider: Provider | None,
    patient: Patient | None = None,
    statuses: Iterable[str] = (),
    location: Location | None = None,
) -> QuerySet[TreatmentSeries]:
    series = series_with_visits(provider=provider)
    if patient is not None:
        series = series.filter(patient=patient)
    if location is not None:
        series = series.filter(location=location)
    if statuses:
        series = series.filter(status__in=list(statuses))
    return series.order_by("-created_at", "-pk")


def hold_visible(*, provider: Provider | None) -> QuerySet[SeriesHold]:
    holds = SeriesHold.objects.select_related("location", "patient", "consultation").prefetch_related("visits")
    if provider is not None:
        holds = holds.filter(created_by=provider.user)
    return holds
