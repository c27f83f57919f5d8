"""The public booking pages, mounted under /book/<location slug>/ (clinic/urls.py)."""

from django.urls import path

from . import online_booking, online_booking_times

app_name = "online-booking"

urlpatterns = [
    path("", online_booking_times.booking_times, name="times"),
    path("details/", online_booking.booking_details, name="details"),
    path("code/<uuid:booking_id>/", online_booking.booking_code, name="code"),
    path("confirm/<str:token>/", online_booking.booking_link, name="link"),
]
