from django.urls import path

from nervecare.booking import views

app_name = "booking"
urlpatterns = [
    # Staff: cancel a stranger's request that is still only held (reached from the appointment page).
    path("staff/held/<int:appointment_id>/cancel/", views.held_cancel, name="held_cancel"),
    path("<slug:slug>/", views.clinic_page, name="clinic"),
    path("<slug:slug>/<int:service_id>/", views.service_page, name="service"),
    path("<slug:slug>/requested/", views.requested, name="requested"),
    path("<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
]
