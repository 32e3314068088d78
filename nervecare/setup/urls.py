from django.urls import path

from nervecare.setup import views

app_name = "setup"
urlpatterns = [
    path("setup/", views.home, name="home"),
    path("setup/clinic/", views.clinic, name="clinic"),
    path("setup/safety-thresholds/", views.thresholds, name="thresholds"),
    path("setup/staff/", views.staff, name="staff"),
    path("setup/staff/invite/", views.staff_invite, name="staff_invite"),
    path("setup/staff/<int:staff_id>/", views.staff_member, name="staff_member"),
    path("setup/staff/<int:staff_id>/<slug:action>/", views.staff_action, name="staff_action"),
    path("setup/therapists/<int:therapist_id>/", views.therapist_profile, name="therapist"),
    path("setup/therapists/<int:therapist_id>/hours/", views.hours, name="hours"),
    path("setup/therapists/<int:therapist_id>/time-off/", views.time_off_add, name="time_off"),
    path("setup/time-off/<int:exception_id>/remove/", views.time_off_remove, name="time_off_remove"),
    path("setup/services/", views.service_list, name="services"),
    path("setup/services/new/", views.service_form, name="service_new"),
    path("setup/services/<int:service_id>/", views.service_form, name="service_edit"),
    path("setup/rooms/", views.room_list, name="rooms"),
    path("setup/rooms/<int:room_id>/", views.room_form, name="room_edit"),
    path("setup/closures/", views.closures, name="closures"),
    path("setup/closures/<int:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    path("setup/closures/holidays/", views.holidays_import, name="holidays_import"),
    path("invite/<uidb64>/<token>/", views.invite_accept, name="invite_accept"),
]
