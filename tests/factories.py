"""factory_boy factories for the clinic's models."""

from datetime import UTC, time, timedelta

import factory
from django.contrib.auth.models import User

from clinic.models import Location, OpeningHours, Provider, Room, WorkingHours
from patients.models import Consultation, Patient
from scheduling.models import Appointment, TreatmentProtocol, TreatmentSeries

# Every login a factory makes has this password (the browser tests type it).
PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class LocationFactory(factory.django.DjangoModelFactory):
    """A London clinic open 08:00-20:00 every day unless a test says otherwise."""

    class Meta:
        model = Location
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "Europe/London"

    @factory.post_generation
    def hours(obj, create, extracted, **kwargs):
        if not create:
            return
        for weekday in range(7):
            OpeningHours.objects.create(location=obj, weekday=weekday, opens=time(8), closes=time(20))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Provider {n}")

    @factory.post_generation
    def location(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            for weekday in range(7):
                WorkingHours.objects.create(
                    provider=obj, location=extracted, weekday=weekday, starts=time(8), ends=time(20)
                )


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    email = factory.LazyAttribute(lambda p: f"{p.first_name}.{p.last_name}@example.com".lower())
    phone = factory.Sequence(lambda n: f"+4474000{n % 100000:05d}")  # valid UK mobiles
    consent_email = True
    consent_sms = True
    fitzpatrick_type = 2


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    patient = factory.SubFactory(PatientFactory)


class EligibleConsultationFactory(ConsultationFactory):
    outcome = Consultation.Outcome.ELIGIBLE
    recommended_sessions = 3
    assessed_at = factory.Faker("date_time_this_month", tzinfo=UTC)


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentSeries

    consultation = factory.SubFactory(EligibleConsultationFactory)
    patient = factory.SelfAttribute("consultation.patient")
    protocol = factory.LazyFunction(lambda: TreatmentProtocol.objects.get(slug="facial-microneedling"))
    location = factory.SubFactory(LocationFactory)
    session_count = 3


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A 30-minute consultation-shaped visit unless the test sets the phases."""

    class Meta:
        model = Appointment

    kind = Appointment.Kind.CONSULTATION
    location = factory.SubFactory(LocationFactory)
    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(ProviderFactory)
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    starts_at = factory.Faker("future_datetime", tzinfo=UTC)
    provider_starts_at = factory.SelfAttribute("starts_at")
    provider_ends_at = factory.LazyAttribute(lambda a: a.provider_starts_at + timedelta(minutes=30))
    ends_at = factory.SelfAttribute("provider_ends_at")
    room_ends_at = factory.SelfAttribute("ends_at")
