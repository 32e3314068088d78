"""Forms of the clinical record used by both the staff pages (web) and the client portal: the body map."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.clients import bodymap


def _region_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(code, r["label"]) for code, r in bodymap.regions().items()]


def _sensation_choices() -> list[tuple[str, str]]:
    return [("", "—")] + list(bodymap.sensations().items())


class MarkForm(forms.Form):
    region = forms.ChoiceField(choices=_region_choices, required=False)
    side = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("left", _("Left")),
            ("right", _("Right")),
            ("both", _("Both sides")),
            ("midline", _("Midline")),
        ],
        required=False,
    )
    sensation = forms.ChoiceField(choices=_sensation_choices, required=False)
    intensity = forms.IntegerField(
        min_value=0, max_value=10, required=False, widget=forms.NumberInput(attrs={"min": 0, "max": 10})
    )

    def clean(self):
        data = super().clean()
        if self.errors:  # a field already says what is wrong with it
            return data
        filled = [data.get(k) not in (None, "") for k in ("region", "sensation", "intensity")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Give the region, the sensation and its intensity (0–10)."))
        return data


MarkFormSet = forms.formset_factory(MarkForm, extra=6, max_num=80)


def marks_from_formset(formset) -> list[dict]:
    return [
        {
            "region": f.cleaned_data["region"],
            "side": f.cleaned_data.get("side") or None,
            "sensation": f.cleaned_data["sensation"],
            "intensity": f.cleaned_data["intensity"],
        }
        for f in formset.forms
        if f.cleaned_data.get("region")
    ]
