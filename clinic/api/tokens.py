"""API tokens: one per login, issued at sign-in when none is current, expiring after
API_TOKEN_MAX_AGE_DAYS, and revoked when the password changes, the login is switched
off, or a clinic role is taken away.

Passwords and roles change in Django's own admin and auth forms as well as in ours, so
the revocation listens to the User row and its groups (connected in
clinic.apps.ClinicConfig.ready) rather than waiting for every such form to call it."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from clinic.audit import audit_record
from clinic.roles import ALL_ROLES


def token_expired(token: Token) -> bool:
    return token.created < timezone.now() - timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS)


@transaction.atomic
def token_for_login(*, user) -> Token:
    """The login's current token, or a new one (audited) when it has none or it expired."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not token_expired(token):
        return token
    if token is not None:
        token.delete()
        audit_record(actor=user, action="token_revoked", obj=user, changes={"reason": "expired"})
    token = Token.objects.create(user=user)
    audit_record(actor=user, action="token_issued", obj=user)
    return token


def tokens_revoke(*, user, reason: str, revoked_by=None) -> int:
    """Delete the login's token; an entry says why when there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=revoked_by or user, action="token_revoked", obj=user, changes={"reason": reason})
    return deleted


def revoke_on_password_or_active_change(sender, instance, raw=False, **kwargs) -> None:
    """pre_save of User: a new password, or a login switched off, ends its token."""
    if raw or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login stamped at each sign-in: nothing to compare
    stored = get_user_model().objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password:
        tokens_revoke(user=instance, reason="password changed")
    elif stored["is_active"] and not instance.is_active:
        tokens_revoke(user=instance, reason="login switched off")


def revoke_on_role_removed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """m2m_changed of User.groups: a clinic role taken away ends the token of each
    login that lost it (from the user's side or from the group's)."""
    if action not in ("pre_remove", "pre_clear"):
        return
    users = get_user_model().objects
    if not reverse:
        groups = Group.objects.filter(pk__in=pk_set) if action == "pre_remove" else instance.groups.all()
        if groups.filter(name__in=ALL_ROLES).exists():
            tokens_revoke(user=instance, reason="role removed")
        return
    if instance.name not in ALL_ROLES:
        return
    losing = users.filter(pk__in=pk_set) if action == "pre_remove" else instance.user_set.all()
    for user in losing:
        tokens_revoke(user=user, reason="role removed")
