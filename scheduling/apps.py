from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Imported once the apps are loaded (Django's start-up order): anymail's tracking
        # signal, sent by its webhook views, records delivery reports on the messages.
        from anymail.signals import tracking

        from .pages.delivery import anymail_tracking_received  # after start-up, as above

        tracking.connect(anymail_tracking_received, dispatch_uid="scheduling.delivery")
