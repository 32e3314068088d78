from django.urls import path

from nervecare.selfcare import views

app_name = "selfcare"
urlpatterns = [
    path("clients/<int:client_id>/self-care/", views.programme, name="programme"),
    path(
        "clients/<int:client_id>/self-care/<int:programme_id>/change/",
        views.programme_change,
        name="programme_change",
    ),
    path(
        "clients/<int:client_id>/self-care/<int:programme_id>/end/", views.programme_end, name="programme_end"
    ),
]
