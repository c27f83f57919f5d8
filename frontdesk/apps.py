from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "frontdesk"
    verbose_name = "Front desk and dashboard"

    def ready(self) -> None:
        # The admin site exists only once every app is loaded, so it is imported here.
        from django.contrib import admin

        # The admin stays where the clinic is configured; its index links to the dashboard.
        admin.site.index_template = "frontdesk/admin_index.html"
