"""Loads a demo clinic that looks alive on any day (clinic.management.demo). Running it
again changes nothing."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clinic.management.demo import DEMO_LOGINS, demo_load
from clinic.management.demo.setup import TZ_NAME
from scheduling.models import Appointment, TreatmentSeries
from scheduling.patient_home_links import patient_home_url
from scheduling.reminders.config import site_url


class Command(BaseCommand):
    help = ("Load a demo clinic with providers, rooms, patients, series in every stage and a diary about two "
            "thirds full for the next two weeks (safe to run twice).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="Seed around this day (YYYY-MM-DD) instead of today, for screenshots "
                                           "and tests; the demo is then seen as at 08:00 that day.")

    def handle(self, *args, **options) -> None:
        tz = ZoneInfo(TZ_NAME)
        if options.get("date"):
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must be a date as YYYY-MM-DD, not {options['date']!r}.") from error
            now = datetime.combine(today, time(8), tz)
        else:
            now = timezone.now()
            today = now.astimezone(tz).date()
        if demo_load(today=today, now=now):
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo clinic around {today:%a %d %b %Y}."))
        else:
            self.stdout.write("The demo clinic is already loaded; nothing to add.")
        self.stdout.write("Demo logins (username / password):")
        for username, password, role, _ in DEMO_LOGINS:
            self.stdout.write(f"  {role:<13} {username} / {password}")
        self._own_page(now)

    def _own_page(self, now: datetime) -> None:
        """One patient's own page, as their messages link to it: a patient part-way through a
        series whose next session is far enough ahead to be moved online."""
        visit = (
            Appointment.objects.filter(
                kind=Appointment.Kind.SESSION, status__in=Appointment.OPEN_STATUSES,
                series__status=TreatmentSeries.Status.ACTIVE, session_number__gte=2,
                starts_at__gt=now + timedelta(days=3),
            )
            .select_related("patient")
            .order_by("starts_at")
            .first()
        )
        if visit is not None:
            self.stdout.write(f"A demo patient's own page ({visit.patient.full_name}): "
                              f"{site_url()}{patient_home_url(visit.patient)}")
