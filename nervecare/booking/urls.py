from django.urls import path

from nervecare.booking import views

app_name = "booking"
urlpatterns = [
    path("<slug:slug>/", views.clinic_page, name="clinic"),
    path("<slug:slug>/<int:service_id>/", views.service_page, name="service"),
    path("<slug:slug>/requested/", views.requested, name="requested"),
    path("<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
]
