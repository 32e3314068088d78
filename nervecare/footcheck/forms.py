"""The daily foot check's forms: the client's report (portal) and the therapist's review."""

from django import forms
from django.utils.translation import gettext_lazy

from nervecare.footcheck import rules


class FootCheckForm(forms.Form):
    """One yes/no box per finding (labels and hints from foot_check_rules.yaml), which foot, where, a note
    and an optional photo. The service validates again (the API goes straight to it)."""

    foot = forms.ChoiceField(label=gettext_lazy("Which foot"), required=False, widget=forms.RadioSelect)
    regions = forms.MultipleChoiceField(
        label=gettext_lazy("Where on the foot"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=gettext_lazy("Anything else (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=gettext_lazy("A photo (optional)"),
        required=False,
        help_text=gettext_lazy("A JPEG, PNG or WebP photo, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        findings = {}
        for finding in rules.rules().findings:
            findings[finding.code] = forms.BooleanField(
                label=finding.label, help_text=finding.hint, required=False
            )
        # The findings first, in the data's order.
        self.fields = {**findings, **self.fields}
        self.fields["foot"].choices = [(f.code, f.label) for f in rules.rules().feet]
        self.fields["regions"].choices = rules.region_choices()

    def finding_fields(self) -> list[forms.BoundField]:
        return [self[code] for code in rules.finding_codes()]


class ReviewForm(forms.Form):
    review_note = forms.CharField(
        label=gettext_lazy("What was done"),
        help_text=gettext_lazy(
            "Who assessed the foot and what they found (e.g. “Seen by the foot team, healing”)."
        ),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
