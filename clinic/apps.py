from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Django's start-up order: the auth models and DRF's Token exist only once apps are ready.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import m2m_changed, pre_save

        from clinic.api import tokens  # start-up order, as above
        from clinic.audit import audit_sign_in  # start-up order, as above
        from clinic.middleware import session_seen_now  # start-up order, as above

        user_model = get_user_model()
        pre_save.connect(tokens.revoke_on_password_or_active_change, sender=user_model,
                         dispatch_uid="clinic.tokens.password")
        m2m_changed.connect(tokens.revoke_on_role_removed, sender=user_model.groups.through,
                            dispatch_uid="clinic.tokens.roles")

        def signed_in(sender, request, user, **kwargs):
            audit_sign_in(user=user, succeeded=True, how=_how(request))
            if getattr(request, "session", None) is not None:
                session_seen_now(request.session)  # the idle count starts at sign-in

        def sign_in_failed(sender, credentials, request=None, **kwargs):
            audit_sign_in(user=None, succeeded=False, username=str(credentials.get("username", "")),
                          how=_how(request))

        def _how(request) -> str:
            if request is None:
                return "unknown"
            path = getattr(request, "path", "")
            return "api token" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "pages"

        user_logged_in.connect(signed_in, dispatch_uid="clinic.audit.signed_in", weak=False)
        user_login_failed.connect(sign_in_failed, dispatch_uid="clinic.audit.sign_in_failed", weak=False)
