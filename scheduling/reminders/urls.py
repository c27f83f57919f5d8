from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("m/<str:token>/", views.reminder_message, name="message"),
    path("unsubscribe/<str:token>/", views.reminder_unsubscribe, name="unsubscribe"),
]
