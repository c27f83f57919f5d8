"""Reminders, aftercare and maintenance prompts: an outbox in the database, sent by Celery.

The booking services call `services.reminders_sync_for_appointments` (and the series
variants) inside their transactions; beat runs the dispatcher every minute; send tasks
deliver claimed rows by email or SMS."""
