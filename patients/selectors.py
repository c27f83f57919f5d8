"""Reads for patients and consultations that need no scheduling model.

Which patients a provider may see depends on their visits and series, so it is decided
in scheduling.visibility (patient_visible), and a patient with their visits is read by
scheduling.selectors.patient_detail; `patient_search` narrows the patients it is given.
`provider` narrows a consultation read to what one provider may see; None means the
whole clinic (front desk and admins)."""

import re
from datetime import date

import phonenumbers
from django.conf import settings
from django.db.models import Q, QuerySet

from clinic.models import Provider

from .models import Consultation, Patient, ScreeningRule


def _phone_query(text: str) -> Q | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 4:
        return None
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
        if phonenumbers.is_possible_number(number):
            return Q(phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    except phonenumbers.NumberParseException:
        pass
    return Q(phone__contains=digits)


def patient_search(
    *,
    patients: QuerySet[Patient],
    q: str = "",
    name: str = "",
    phone: str = "",
    email: str = "",
    date_of_birth: date | None = None,
) -> QuerySet[Patient]:
    """Those of `patients` (the ones the caller may see) matching every filter given.
    `q` matches a name, an email or a phone number; `phone` accepts the number as staff
    type it (07700 900123 or +44...)."""
    for word in name.split():
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    if phone:
        query = _phone_query(phone)
        patients = patients.filter(query) if query is not None else patients.none()
    if email:
        patients = patients.filter(email__iexact=email.strip())
    if date_of_birth:
        patients = patients.filter(date_of_birth=date_of_birth)
    if q.strip():
        text = q.strip()
        words = Q()
        for word in text.split():
            words &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        query = words | Q(email__icontains=text)
        phone_query = _phone_query(text)
        if phone_query is not None:
            query |= phone_query
        patients = patients.filter(query)
    return patients.order_by("last_name", "first_name", "pk")


def consultation_visible(*, provider: Provider | None) -> QuerySet[Consultation]:
    consultations = Consultation.objects.select_related(
        "patient", "provider", "visit", "visit__provider", "visit__location", "visit__room"
    )
    if provider is not None:
        consultations = consultations.filter(Q(provider=provider) | Q(visit__provider=provider))
    return consultations.prefetch_related("recommended_areas").order_by("-created_at", "-pk")


def screening_rules(*, active_only: bool = False) -> QuerySet[ScreeningRule]:
    rules = ScreeningRule.objects.all()
    return rules.filter(is_active=True) if active_only else rules


def patient_likely_duplicates(*, first_name: str, last_name: str, date_of_birth: date | None, email: str = "",
                              phone: str = "", exclude_id: int | None = None) -> QuerySet[Patient]:
    """Patients who are probably the same person: the same name and date of birth, or
    the same email address, or the same phone number."""
    match = Q(first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip(),
              date_of_birth=date_of_birth)
    if email.strip():
        match |= Q(email__iexact=email.strip())
    if phone:
        match |= Q(phone=phone)
    found = Patient.objects.filter(match)
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.order_by("last_name", "first_name", "pk")[:5]
