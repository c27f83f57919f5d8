"""Reminders, aftercare and maintenance prompts: an outbox in the database, sent by Celery.

The booking services call `outbox.reminders_sync_for_appointments` (and the series
variants in `outbox` and `maintenance_prompts`) inside their transactions; beat runs the
dispatcher (`dispatch`) every minute and the series nudges (`nudges`) hourly; send tasks
deliver claimed rows by email or SMS (`channels`). The pages a patient opens from a
message live in scheduling.pages."""
