"""Documents kept with a client's record (issue 16 §6): a doctor's letter, a clearance or a referral, as a PDF
or an image, optionally attached to a safety flag's clearance.

The type is what the bytes say (`filetype` reads the file's signature), never the name or the browser's
claim; the size is bounded (NERVECARE_DOCUMENT_MAX_BYTES, default 10 MB). The file is stored in the database
(so backups, restore, erasure and the exports hold it), never under the static root. Who may attach or read
one: whoever may see the client's clinical record (client_get_for_user); every upload, list, view and
download is audited. Served as an attachment with nosniff, so a browser never renders it inline."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import filetype
from django.conf import settings
from django.db import transaction
from django.http import Http404

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.audit import record as audit_record
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.ops.models import ClientDocument
from nervecare.screening.models import SafetyFlag

ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "NERVECARE_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(data: bytes) -> str | None:
    """The MIME type the content's signature says, if it is one NerveCare keeps."""
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind is not None else None
    return mime if mime in ALLOWED_TYPES else None


@transaction.atomic
def document_upload(
    *,
    actor: User,
    client_id: int,
    kind: str,
    title: str,
    filename: str,
    data: bytes,
    flag_id: int | None = None,
) -> ClientDocument:
    """Attach a document to a client (and optionally to one of their safety flags). 422 naming the field."""
    client = client_get_for_user(actor, client_id)
    errors: dict[str, str] = {}
    if kind not in ClientDocument.Kind.values:
        errors["kind"] = "Choose a doctor's letter, a medical clearance, a referral or another document."
    title = (title or "").strip()
    if not title:
        errors["title"] = "Give the document a title (e.g. “Letter from Dr Rao, 3 March”)."
    elif len(title) > 200:
        errors["title"] = "Ensure this value has at most 200 characters"
    flag = None
    if flag_id is not None:
        flag = SafetyFlag.objects.filter(pk=flag_id, client_id=client.pk).first()
        if flag is None:
            errors["flag_id"] = "This client has no such safety flag."
    if not data:
        errors["file"] = "The file is empty."
    elif len(data) > max_bytes():
        errors["file"] = f"The file is larger than {max_bytes() // (1024 * 1024)} MB."
    content_type = sniff(data) if data else None
    if data and content_type is None:
        errors.setdefault(
            "file",
            "Only PDF, PNG, JPEG or WebP files can be attached: this file is none of them "
            "(its content was checked, not its name).",
        )
    if errors:
        raise FieldErrors(errors)
    assert content_type is not None
    document = ClientDocument.objects.create(
        clinic_id=client.clinic_id,
        client=client,
        flag=flag,
        kind=kind,
        title=title,
        original_name=(filename or "")[-200:],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=document,
        summary=f"Document attached: {document.get_kind_display()} “{title}”",
        changes={"content_type": content_type, "size": len(data), "sha256": document.sha256, "flag": flag_id},
    )
    return document


def documents_for_client(user: User, client_id: int) -> tuple[Client, list[ClientDocument]]:
    """The client's documents (without their bytes), for someone who may see the record. Audited as a list."""
    client = client_get_for_user(user, client_id)
    documents = list(
        ClientDocument.objects.filter(client=client).defer("data").select_related("flag", "uploaded_by")
    )
    audit_list(user, ClientDocument, [d.pk for d in documents], "Documents listed")
    return client, documents


def document_get_for_user(user: User, client_id: int, document_id: int) -> ClientDocument:
    """One document with its bytes, or 404; the read is audited (who opened which document)."""
    client = client_get_for_user(user, client_id)
    document = ClientDocument.objects.filter(pk=document_id, client=client).first()
    if document is None:
        raise Http404("No such document.")
    audit_view(user, document, "Document opened")
    return document


def download_name(document: ClientDocument) -> str:
    """A safe file name with the extension of the real type."""
    stem = (
        "".join(c if c.isalnum() or c in "-_" else "-" for c in document.title)[:60].strip("-") or "document"
    )
    return f"{stem}.{ALLOWED_TYPES.get(document.content_type, 'bin')}"


def document_row(document: ClientDocument, *, with_content: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": document.pk,
        "kind": document.kind,
        "kind_label": document.get_kind_display(),
        "title": document.title,
        "original_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "flag_id": document.flag_id,
        "uploaded_by": document.uploaded_by.username if document.uploaded_by else None,
        "uploaded_at": document.uploaded_at.isoformat(),
    }
    if with_content:
        row["content_base64"] = base64.b64encode(bytes(document.data)).decode()
    return row


def record_card_documents(user: User, client: Client) -> dict[str, Any]:
    """The record page's documents card: the list (no bytes)."""
    documents = list(ClientDocument.objects.filter(client=client).defer("data").select_related("flag"))
    if documents:
        audit_list(user, ClientDocument, [d.pk for d in documents], "Documents listed")
    return {"documents": documents}
