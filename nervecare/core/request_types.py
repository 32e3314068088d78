"""Typed requests for type checking (mypy with django-stubs).

`HttpRequest.user` is `User | AnonymousUser`. Behind `login_required` (pages) or the API's authentication
(routes with `auth=`), the user is known to be signed in: annotate those views with `AuthedHttpRequest`, the
pattern django-stubs documents, so the user passes where a `User` is expected without a check per line.
"""

from django.http import HttpRequest

from nervecare.core.models import User


class AuthedHttpRequest(HttpRequest):
    """A request whose user is signed in (a view behind `login_required` or an authenticated API route)."""

    user: User
