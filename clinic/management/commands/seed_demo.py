"""Loads a demo clinic that looks alive on any day (clinic.management.demo). Running it
again changes nothing."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clinic.management.demo import DEMO_LOGINS, demo_load
from clinic.management.demo.setup import TZ_NAME


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
