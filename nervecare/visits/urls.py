from django.urls import path

from nervecare.visits import views

app_name = "visits"
urlpatterns = [
    path("appointments/<int:appointment_id>/note/", views.note_page, name="note"),
    path("appointments/<int:appointment_id>/note/sign/", views.note_sign, name="note_sign"),
    path("notes/<int:note_id>/amendments/", views.amendment_add, name="amendment_add"),
    path("notes/<int:note_id>/adverse-events/", views.adverse_event_add, name="adverse_event_add"),
    path(
        "notes/<int:note_id>/adverse-events/<int:event_id>/",
        views.adverse_event_follow_up,
        name="adverse_event_follow_up",
    ),
    path("review/", views.review, name="review"),
    path("clients/<int:client_id>/physical-measures/", views.physical_measures, name="physical_measures"),
]
