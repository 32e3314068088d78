"""Field-level validation errors shared by services, the API and the pages."""

from typing import Any

from django.core.exceptions import ValidationError

from nervecare.core.labels import message_with_label


class FieldErrors(Exception):  # noqa: N818 - a bag of field errors, named for what it holds
    """Bad input, as {field path: message}. Raised by services; rendered as 422 JSON or inline form errors."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        # Shown to people as is (a page's message): each field by its label, not its code name.
        super().__init__("; ".join(message_with_label(k, v) for k, v in errors.items()))


def errors_from_validation(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """Flatten a Django ValidationError into {"prefix.field": "message"}."""
    out: dict[str, str] = {}
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            key = (
                f"{prefix}.{name}"
                if prefix and name != "__all__"
                else (name if name != "__all__" else prefix or "__all__")
            )
            out[key] = " ".join(errs)
    else:
        out[prefix or "__all__"] = " ".join(exc.messages)
    return out


def full_clean_or_collect(
    obj: Any,
    errors: dict[str, str],
    prefix: str = "",
    exclude: list[str] | None = None,
    validate_constraints: bool = True,
) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=validate_constraints)
    except ValidationError as exc:
        errors.update(errors_from_validation(exc, prefix))
