"""The two-factor sign-in pages, under /accounts/mfa/ (Django's own sign-in pages are under /accounts/)."""

from django.urls import path

from nervecare.core.auth import views as auth_views

urlpatterns = [
    path("setup/", auth_views.mfa_setup, name="mfa_setup"),
    path("verify/", auth_views.mfa_verify, name="mfa_verify"),
]
