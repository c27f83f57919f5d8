"""Who may open which page: the same three roles, and the same rules, as the API."""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinic.api import permissions as perms
from clinic.models import Provider

ALL = perms.ALL_ROLES
DESK = perms.DESK
CLINICAL = perms.CLINICAL
ADMIN = perms.ADMIN


def roles_required(allowed: Iterable[str]) -> Callable:
    """Signed in and holding one of the roles; anyone else is refused with 403."""
    allowed = frozenset(allowed)

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not perms.user_roles(request.user) & allowed:
                raise PermissionDenied("Your login has no clinic role that may open this page; ask a clinic admin.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def scope(user) -> Provider | None:
    """Whose records the user sees: None for the whole clinic (desk, admins), else the
    provider's own patients and visits, as in the API."""
    if perms.sees_whole_clinic(user):
        return None
    provider = perms.provider_of(user)
    if provider is None:
        raise PermissionDenied("Your login is not linked to a provider; ask a clinic admin.")
    return provider


def can(user) -> dict[str, bool]:
    """What the pages offer this user (buttons shown; the views check again)."""
    roles = perms.user_roles(user)
    desk = bool(roles & DESK)
    return {
        "book": desk,
        "plan": desk,
        "reschedule": desk,
        "cancel": desk,
        "check_in": bool(roles),
        "no_show": bool(roles),
        "complete": bool(roles & CLINICAL),
        "assess": bool(roles & CLINICAL),
        "clinical": perms.sees_clinical_notes(user),
        "dashboard": bool(roles & ADMIN),
        "admin": bool(roles & ADMIN) and getattr(user, "is_staff", False),
    }
