from django.urls import path

from nervecare.footcheck import views

app_name = "footcheck"
urlpatterns = [
    path("clients/<int:client_id>/foot-checks/<int:check_id>/", views.check_detail, name="check"),
    path("clients/<int:client_id>/foot-checks/<int:check_id>/photo/", views.check_photo, name="photo"),
]
