from django.urls import path

from nervecare.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
