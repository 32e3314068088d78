from django.contrib import admin
from django.urls import include, path

from nervecare.api import api
from nervecare.ops import privacy_urls
from nervecare.portal import urls as portal_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/mfa/", include("nervecare.core.auth.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", api.urls),
    path("account/", include("nervecare.core.urls")),
    path("fhir/R4/", include("nervecare.interop.urls")),
    path("portal/", include((portal_urls.urlpatterns + privacy_urls.portal_urlpatterns, "portal"))),
    path("audit/", include("nervecare.core.audit.urls")),
    # The public booking pages for new clients (no sign-in; only for clinics that turn it on).
    path("book/", include("nervecare.booking.urls")),
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
