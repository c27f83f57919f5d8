"""The Celery app: configuration from Django settings (CELERY_*), tasks found per app."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Beat schedule ----------------------------------------------------------------------
# Periodic work is declared here, in code. Every periodic task is safe to run twice at the
# same time (two beats started by mistake): the reminder dispatcher claims rows with
# skip-locked row locks, and a nudge is written once per series and session number.
# `expires` drops runs that piled up while no worker was listening.
@app.on_after_configure.connect
def _reminder_schedule(sender: Celery, **kwargs) -> None:
    sender.add_periodic_task(
        60.0, sender.signature("scheduling.reminders_dispatch", options={"expires": 55}), name="reminders-dispatch"
    )
    sender.add_periodic_task(
        crontab(minute=7),
        sender.signature("scheduling.reminders_schedule_series_nudges", options={"expires": 3000}),
        name="reminders-series-nudges",
    )
