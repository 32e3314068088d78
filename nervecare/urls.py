from django.contrib import admin
from django.urls import include, path

from nervecare.api import api
from nervecare.core.routing import indexed
from nervecare.ops import privacy_urls
from nervecare.portal import urls as portal_urls

# The apps' pages, tried in this order.
pages = [
    path("", include("nervecare.billing.urls")),
    path("", include("nervecare.footcheck.urls")),
    path("", include("nervecare.selfcare.urls")),
    path("", include("nervecare.outcomes.urls")),
    path("", include("nervecare.trials.urls")),
    path("", include("nervecare.visits.urls")),
    path("", include("nervecare.scheduling.urls")),
    path("", include("nervecare.clients.urls")),
    path("", include("nervecare.screening.urls")),
    path("", include("nervecare.plans.urls")),
    path("", include("nervecare.ops.privacy_urls")),
    path("", include("nervecare.setup.urls")),
    path("", include("nervecare.ops.importing_urls")),
    path("", include("nervecare.ops.documents_urls")),
    path("", include("nervecare.web.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/mfa/", include("nervecare.core.auth.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # The API and the pages resolve through an index of their routes' first segments (core/routing.py): the
    # match Django's own resolver finds, after fewer tries (it was about a bare view's CPU on every request).
    indexed(path("api/v1/", api.urls)),
    path("account/", include("nervecare.core.urls")),
    path("fhir/R4/", include("nervecare.interop.urls")),
    path("portal/", include((portal_urls.urlpatterns + privacy_urls.portal_urlpatterns, "portal"))),
    path("audit/", include("nervecare.core.audit.urls")),
    # The public booking pages for new clients (no sign-in; only for clinics that turn it on).
    path("book/", include("nervecare.booking.urls")),
    indexed(path("", include(pages))),
]
