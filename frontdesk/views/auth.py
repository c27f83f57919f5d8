"""Signing in and out with Django's own views; django-axes locks out repeated failures."""

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "frontdesk/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "frontdesk:login"
