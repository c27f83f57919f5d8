"""Token login for integrations: the token, its user and the user's roles in one query;
a token past its age (clinic.api.tokens) is refused."""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from clinic.prepared import fetch_prepared
from clinic.roles import remember_roles

from .tokens import token_expired

# What Token.generate_key makes: 40 hex digits. Anything else (a NUL byte, which
# PostgreSQL refuses in a query, or a key too long for the column) is no token at all.
TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


class ClinicTokenAuthentication(TokenAuthentication):
    """DRF's token login. Every API call checks the caller's roles next, and DRF's two
    ORM queries (token and user, then groups) cost more than a cached answer itself, so
    on PostgreSQL the user comes back with one row per group it belongs to, from one
    prepared statement. Elsewhere DRF's own login runs and the roles are read after."""

    def authenticate_credentials(self, key):
        """The login behind the token, unless the token is older than API_TOKEN_MAX_AGE_DAYS."""
        if not TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, token = self._credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(
                "This token has expired; get a new one from POST /api/v1/auth/token/ with the username and password."
            )
        return user, token

    def _credentials(self, key):
        if connection.vendor != "postgresql":
            return super().authenticate_credentials(key)
        user_model = get_user_model()
        fields = user_model._meta.concrete_fields
        quote = connection.ops.quote_name
        user_id = f"u.{quote(user_model._meta.pk.column)}"
        sql = f"""
            SELECT {", ".join(f"u.{quote(field.column)}" for field in fields)}, t.created, g.name
              FROM {quote(Token._meta.db_table)} t
              JOIN {quote(user_model._meta.db_table)} u ON {user_id} = t.user_id
              LEFT JOIN {quote(user_model.groups.through._meta.db_table)} m ON m.user_id = {user_id}
              LEFT JOIN {quote(Group._meta.db_table)} g ON g.id = m.group_id
             WHERE t.key = %s
        """
        rows = fetch_prepared(sql, [key])
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = user_model.from_db(connection.alias, [field.attname for field in fields], rows[0][: len(fields)])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        remember_roles(user, [row[-1] for row in rows if row[-1]])
        return user, Token(key=key, user=user, created=rows[0][-2])
