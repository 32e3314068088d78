"""Pages for a client's documents: the list with the upload form, and the download. Thin: ops/documents.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.ops import documents
from nervecare.ops.models import ClientDocument
from nervecare.screening.models import SafetyFlag


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What it is"), choices=ClientDocument.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    flag_id = forms.TypedChoiceField(
        label=gettext_lazy("Clearance for a safety flag (optional)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("A PDF or an image (PNG, JPEG, WebP), up to 10 MB."),
    )


def attachment(document: ClientDocument) -> HttpResponse:
    """The file as a download: never rendered inline, never sniffed into another type, never cached."""
    response = HttpResponse(bytes(document.data), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{documents.download_name(document)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def client_documents(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client, docs = documents.documents_for_client(request.user, client_id)
    flags = list(SafetyFlag.objects.filter(client=client).order_by("-raised_at").values_list("pk", "title"))
    form = DocumentForm(request.POST or None, request.FILES or None)
    form.fields["flag_id"].choices = [("", _("— none —")), *flags]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            documents.document_upload(
                actor=request.user,
                client_id=client.pk,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                filename=upload.name,
                data=upload.read(documents.max_bytes() + 1),
                flag_id=form.cleaned_data["flag_id"],
            )
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else "file", message)
        else:
            messages.success(request, _("The document was attached."))
            return redirect("documents:list", client_id=client.pk)
    return render(
        request,
        "ops/documents.html",
        {"client": client, "documents": docs, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
def document_download(request: AuthedHttpRequest, client_id: int, document_id: int) -> HttpResponse:
    return attachment(documents.document_get_for_user(request.user, client_id, document_id))
