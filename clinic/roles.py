"""A login's clinic roles, and how much of the clinic it sees.

Staff roles are Django groups, created by a migration. The API's permission classes
(clinic.api.permissions) and the front-desk pages (frontdesk.access) both read them
here, so a login is allowed the same things in both. Which patients, visits, series and
holds a provider sees is scheduling.visibility's business; this module only says whose
records a login sees (`viewer_scope`)."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from clinic.models import Provider

CLINIC_ADMIN = "Clinic admin"
FRONT_DESK = "Front desk"
PROVIDER = "Provider"

ALL_ROLES = frozenset({CLINIC_ADMIN, FRONT_DESK, PROVIDER})
DESK = frozenset({CLINIC_ADMIN, FRONT_DESK})
CLINICAL = frozenset({PROVIDER})
ADMIN = frozenset({CLINIC_ADMIN})


def user_roles(user) -> frozenset[str]:
    """The login's roles, read once per request (cached on the user object)."""
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
        names.add(CLINIC_ADMIN)
    user._clinic_roles = frozenset(names)


def is_clinic_admin(user) -> bool:
    return CLINIC_ADMIN in user_roles(user)


def is_provider(user) -> bool:
    return PROVIDER in user_roles(user)


def sees_clinical_notes(user) -> bool:
    """Providers and clinic admins read clinical notes; the front desk does not."""
    return bool(user_roles(user) & {PROVIDER, CLINIC_ADMIN})


def sees_whole_clinic(user) -> bool:
    """The desk and admins see every patient and visit; a provider sees their own."""
    return bool(user_roles(user) & DESK)


def provider_of(user) -> Provider | None:
    """The Provider record of a login with a clinic role, or None (read once per request)."""
    if not user_roles(user):
        return None
    if not hasattr(user, "_clinic_provider"):
        user._clinic_provider = Provider.objects.filter(user=user).first()
    return user._clinic_provider


def viewer_scope(user) -> Provider | None:
    """Whose records the login sees: None for the whole clinic (front desk, admins), else
    its Provider, whose own patients and visits it sees (scheduling.visibility). A
    provider login not linked to a Provider is refused with PermissionDenied (403 in the
    API and on the pages)."""
    if sees_whole_clinic(user):
        return None
    provider = provider_of(user)
    if provider is None:
        raise PermissionDenied("Your login is not linked to a provider; ask a clinic admin.")
    return provider
