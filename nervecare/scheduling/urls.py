from django.urls import path

from nervecare.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("calendar/", views.week_calendar, name="week"),
    path("book/", views.booking_desk, name="book"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<int:appointment_id>/<slug:action>/",
        views.appointment_action,
        name="appointment_action",
    ),
    path("clients/<int:client_id>/plans/<int:plan_id>/book/", views.book_series, name="book_series"),
]
