"""Signing in and out with Django's own views; django-axes locks out repeated failures."""

from django.contrib.auth import views as auth_views

from clinic.models import Location


class LoginView(auth_views.LoginView):
    template_name = "frontdesk/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Patients who land here find the clinic's public booking page.
        return {**super().get_context_data(**kwargs), "booking_locations": Location.objects.filter(is_active=True)}


class LogoutView(auth_views.LogoutView):
    next_page = "frontdesk:login"
