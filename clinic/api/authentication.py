"""Token login for integrations: the token, its user and the user's roles in one query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from . import permissions as perms


class ClinicTokenAuthentication(TokenAuthentication):
    """DRF's token login, answered by one plain query. Every API call checks the caller's
    roles next, and DRF's two ORM queries (token and user, then groups) cost more than
    a cached answer itself, so the user comes back with one row per group it belongs to."""

    def authenticate_credentials(self, key):
        user_model = get_user_model()
        memberships = user_model.groups.through._meta.db_table
        sql = f"""
            SELECT u.*, t.created AS token_created, g.name AS group_name
              FROM {Token._meta.db_table} t
              JOIN {user_model._meta.db_table} u ON u.id = t.user_id
              LEFT JOIN {memberships} m ON m.user_id = u.id
              LEFT JOIN {Group._meta.db_table} g ON g.id = m.group_id
             WHERE t.key = %s
        """
        rows = list(user_model.objects.raw(sql, [key]))
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = rows[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        perms.remember_roles(user, [row.group_name for row in rows if row.group_name])
        return user, Token(key=key, user=user, created=user.token_created)
