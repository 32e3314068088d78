"""The public booking form: a free time, contact details and consent. The service checks every value (the
page and the API share its rules); the form only carries them and puts each error next to its field."""

from django import forms


class TherapistChoiceForm(forms.Form):
    """Which therapist's free times to show (a GET form)."""

    therapist = forms.CharField(required=False, max_length=12)
    start = forms.DateField(required=False)


class BookingForm(forms.Form):
    slot = forms.CharField(max_length=80, required=False)
    therapist = forms.CharField(max_length=12, required=False, widget=forms.HiddenInput)
    first_name = forms.CharField(label="First name", max_length=200, required=False)
    last_name = forms.CharField(label="Last name", max_length=200, required=False)
    date_of_birth = forms.CharField(
        label="Date of birth",
        max_length=40,
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    email = forms.CharField(
        label="E-mail address",
        max_length=320,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    consent = forms.BooleanField(required=False)
    consent_version = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def contact(self) -> dict[str, str]:
        return {
            k: self.cleaned_data.get(k) or ""
            for k in ("first_name", "last_name", "date_of_birth", "email", "phone")
        }
