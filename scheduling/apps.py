from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _repair_busy_weeks(*, using: str, **kwargs) -> None:
    """SQLite alters a table by rebuilding it, which drops its triggers: after every
    migrate, put back those that keep the busy weeks (scheduling/loader/sqlite_weeks.py)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    # The loader imports the models, which exist only once the app registry is ready.
    from .loader.sqlite_weeks import busy_weeks_repair

    busy_weeks_repair(connection)


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        post_migrate.connect(_repair_busy_weeks, sender=self)
        # Imported once the apps are loaded (Django's start-up order): anymail's tracking
        # signal, sent by its webhook views, records delivery reports on the messages.
        from anymail.signals import tracking

        from .pages.delivery import anymail_tracking_received  # after start-up, as above

        tracking.connect(anymail_tracking_received, dispatch_uid="scheduling.delivery")
