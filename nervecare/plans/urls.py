from django.urls import path

from nervecare.plans import views

app_name = "plans"
urlpatterns = [
    path("clients/<int:client_id>/plans/new/", views.plan_propose, name="plan_propose"),
    path("clients/<int:client_id>/plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("clients/<int:client_id>/plans/<int:plan_id>/activate/", views.plan_activate, name="plan_activate"),
    path("clients/<int:client_id>/plans/<int:plan_id>/cancel/", views.plan_cancel, name="plan_cancel"),
]
