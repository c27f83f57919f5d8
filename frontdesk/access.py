"""Who may open which page: the same three roles, and the same rules, as the API
(clinic.roles). Whose records a page shows is clinic.roles.viewer_scope."""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinic.roles import ADMIN, CLINICAL, DESK, sees_clinical_notes, user_roles


def roles_required(allowed: Iterable[str]) -> Callable:
    """Signed in and holding one of the roles; anyone else is refused with 403."""
    allowed = frozenset(allowed)

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not user_roles(request.user) & allowed:
                raise PermissionDenied("Your login has no clinic role that may open this page; ask a clinic admin.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def can(user) -> dict[str, bool]:
    """What the pages offer this user (buttons shown; the views check again)."""
    held = user_roles(user)
    desk = bool(held & DESK)
    return {
        "book": desk,
        "plan": desk,
        "reschedule": desk,
        "cancel": desk,
        "check_in": bool(held),
        "no_show": bool(held),
        "complete": bool(held & CLINICAL),
        "assess": bool(held & CLINICAL),
        "clinical": sees_clinical_notes(user),
        "dashboard": bool(held & ADMIN),
        "admin": bool(held & ADMIN) and getattr(user, "is_staff", False),
    }
