"""The message pages, mounted under /reminders/ (clinic/urls.py). The namespace stays
"reminders": the signed links in messages already sent are reversed by these names."""

from django.urls import path

from . import delivery, messages

app_name = "reminders"

urlpatterns = [
    path("m/<str:token>/", messages.reminder_message, name="message"),
    path("unsubscribe/<str:token>/", messages.reminder_unsubscribe, name="unsubscribe"),
    path("offer/<str:token>/", messages.waitlist_offer_page, name="claim"),
    path("sms/twilio/status/", delivery.twilio_status_callback, name="twilio-status"),
]
