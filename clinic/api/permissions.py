"""Who may do what: the three staff roles are Django groups (clinic.roles).

A view names the roles allowed to call it in `roles`, or per method in
`roles_by_method`; every other authenticated user gets 403."""

from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import BasePermission

from clinic import roles

ALL_ROLES = frozenset({roles.CLINIC_ADMIN, roles.FRONT_DESK, roles.PROVIDER})
DESK = frozenset({roles.CLINIC_ADMIN, roles.FRONT_DESK})
CLINICAL = frozenset({roles.PROVIDER})
ADMIN = frozenset({roles.CLINIC_ADMIN})


def user_roles(user) -> frozenset[str]:
    """The caller's roles, read once per request (cached on the user object)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        remember_roles(user, user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        cached = user._clinic_roles
    return cached


def remember_roles(user, group_names) -> None:
    """Keep the roles of a login whose groups were read along with it (token login
    does so), so that `user_roles` needs no query of its own."""
    names = set(group_names) & ALL_ROLES
    if user.is_superuser:
        names.add(roles.CLINIC_ADMIN)
    user._clinic_roles = frozenset(names)


def is_clinic_admin(user) -> bool:
    return roles.CLINIC_ADMIN in user_roles(user)


def is_front_desk(user) -> bool:
    return roles.FRONT_DESK in user_roles(user)


def is_provider(user) -> bool:
    return roles.PROVIDER in user_roles(user)


def sees_clinical_notes(user) -> bool:
    """Providers and clinic admins read clinical notes; the front desk does not."""
    return bool(user_roles(user) & {roles.PROVIDER, roles.CLINIC_ADMIN})


def sees_whole_clinic(user) -> bool:
    """The desk and admins see every patient and visit; a provider sees their own."""
    return bool(user_roles(user) & DESK)


def provider_of(user):
    """The Provider record of a login, or None."""
    from clinic.models import Provider

    if not user_roles(user):
        return None
    if not hasattr(user, "_clinic_provider"):
        user._clinic_provider = Provider.objects.filter(user=user).first()
    return user._clinic_provider


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


def visibility(user):
    """Whose records a caller may see: None for the whole clinic (front desk, admins),
    else the caller's Provider. A provider login not linked to a Provider is refused."""
    from rest_framework.exceptions import PermissionDenied

    if sees_whole_clinic(user):
        return None
    provider = provider_of(user)
    if provider is None:
        raise PermissionDenied("Your login is not linked to a provider; ask a clinic admin.")
    return provider
