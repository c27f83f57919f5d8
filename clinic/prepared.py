"""Reads that nearly every API request makes, sent to PostgreSQL as prepared statements.

Django binds parameters on the client, so PostgreSQL plans every statement afresh, and
for the small reads on every request (the token login, the diary fingerprint) planning
costs the server several times what running them does. These few are bound on the
server and prepared once per connection instead; everything else is left as it is."""

from collections.abc import Sequence

import psycopg
from django.db import connection


class PreparedCursor(psycopg.Cursor):
    """Binds parameters on the server and prepares every statement it runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def fetch_prepared(sql: str, params: Sequence) -> list[tuple]:
    """The rows of a read, as a prepared statement on PostgreSQL and an ordinary query
    elsewhere. It goes through Django's cursor wrapper, so it is logged and counted (in
    tests too) like any other query, and fails with Django's database errors."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = PreparedCursor(connection.connection)
    with connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
