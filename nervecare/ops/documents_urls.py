from django.urls import path

from nervecare.ops import documents_views as views

app_name = "documents"
urlpatterns = [
    path("clients/<int:client_id>/documents/", views.client_documents, name="list"),
    path("clients/<int:client_id>/documents/<int:document_id>/", views.document_download, name="download"),
]
