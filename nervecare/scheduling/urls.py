from django.urls import path

from nervecare.scheduling import desk_views, views

app_name = "scheduling"
urlpatterns = [
    path("calendar/", views.week_calendar, name="week"),
    path("book/", views.booking_desk, name="book"),
    path("day/", desk_views.day_view, name="day"),
    path("day/list/", desk_views.day_list, name="day_list"),
    path("day/list/email/", desk_views.day_list_email, name="day_list_email"),
    path("desk/clients/", desk_views.client_search, name="desk_clients"),
    path("desk/clients/new/", desk_views.client_new, name="desk_register"),
    path("waitlist/", desk_views.waitlist, name="waitlist"),
    path("waitlist/<int:entry_id>/<slug:action>/", desk_views.waitlist_action, name="waitlist_action"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<int:appointment_id>/<slug:action>/",
        views.appointment_action,
        name="appointment_action",
    ),
    path("clients/<int:client_id>/plans/<int:plan_id>/book/", views.book_series, name="book_series"),
]
