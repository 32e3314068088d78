from django.urls import path

from nervecare.web import between_views, views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("between-sessions/", between_views.between_sessions, name="between"),
]
