"""The message pages, mounted under /reminders/ (clinic/urls.py). The namespace stays
"reminders": the signed links in messages already sent are reversed by these names."""

from django.urls import path

from . import messages

app_name = "reminders"

urlpatterns = [
    path("m/<str:token>/", messages.reminder_message, name="message"),
    path("unsubscribe/<str:token>/", messages.reminder_unsubscribe, name="unsubscribe"),
]
