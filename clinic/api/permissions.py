"""Who may call which API view: the three staff roles of clinic.roles.

A view names the roles allowed to call it in `roles`, or per method in
`roles_by_method`; every other authenticated user gets 403."""

from django.conf import settings
from rest_framework.permissions import BasePermission

from clinic.roles import ALL_ROLES, user_roles


class IsStaffMember(BasePermission):
    """Signed in, active, and in a role the view allows."""

    message = "Your login has no clinic role that may do this; ask a clinic admin."

    def has_permission(self, request, view) -> bool:
        held = user_roles(request.user)
        if not held:
            return False
        by_method = getattr(view, "roles_by_method", None)
        allowed = (
            by_method.get(request.method, by_method.get("*", ALL_ROLES))
            if by_method
            else getattr(view, "roles", ALL_ROLES)
        )
        return bool(held & frozenset(allowed))


class ApiDocsPermission(IsStaffMember):
    """The schema and the interactive docs: staff only, unless API_DOCS_PUBLIC opens them."""

    def has_permission(self, request, view) -> bool:
        return settings.API_DOCS_PUBLIC or super().has_permission(request, view)
