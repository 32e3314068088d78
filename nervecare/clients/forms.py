"""Forms of the clients app's pages (and the body map the portal shares). They parse and check types; the
services hold the clinical rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.clients import bodymap, lymph
from nervecare.clients.hooks import list_filters
from nervecare.clients.models import CLIENT_FIELDS, Client, Condition, Consent, ConsentText, MedicalContext
from nervecare.clients.services import CONDITION_FIELDS, DEVICE_CODES
from nervecare.core.bounds import BirthDateField, HistoryDateField
from nervecare.core.pages import DateInput
from nervecare.core.vocab import load_yaml


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        field_classes = {"date_of_birth": BirthDateField}
        widgets = {
            "date_of_birth": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }


def _diagnosis_choices() -> list[tuple[str, str]]:
    rows = load_yaml("clients/data/conditions.yaml")["diagnoses"]
    return [("", "—")] + [(d["code"], f"{d['label']} ({d['icd10cm']})") for d in rows]


class ConditionForm(forms.ModelForm):
    diagnosis_code = forms.ChoiceField(
        choices=_diagnosis_choices, required=False, label=_("Diagnosis (coded)")
    )

    class Meta:
        model = Condition
        fields = CONDITION_FIELDS
        field_classes = dict.fromkeys(
            ("chemotherapy_start", "chemotherapy_end", "onset_date", "diagnosis_date"), HistoryDateField
        )
        widgets = {
            "chemotherapy_start": DateInput(),
            "chemotherapy_end": DateInput(),
            "onset_date": DateInput(),
            "diagnosis_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            **{s: forms.NumberInput(attrs={"min": 0, "max": 10}) for s in Condition.SYMPTOMS},
        }


MEDICAL_GROUPS = [
    (
        _("Medicines and other conditions"),
        [
            "medications_text",
            "on_anticoagulants",
            "bleeding_disorder",
            "on_steroids",
            "on_insulin_or_sulfonylurea",
            "comorbidities_text",
            "heart_failure_uncontrolled",
            "unstable_glucose",
            "hba1c_percent",
        ],
    ),
    (_("Blood clots"), ["dvt_history", "dvt_date", "dvt_site", "dvt_signs_now"]),
    (
        _("Cancer treatment"),
        [
            "in_chemotherapy",
            "chemotherapy_cycle",
            "platelets_per_ul",
            "neutrophils_per_ul",
            "labs_date",
            "lymph_nodes_removed",
            "lymph_node_sites",
            "lymph_nodes_site",
            "lymphedema",
            "lymphedema_site",
            "radiation",
            "radiation_site",
            "recent_surgery",
            "recent_surgery_site",
            "tumour_or_enlarged_nodes",
            "tumour_site",
            "devices",
            "devices_site",
        ],
    ),
    (
        _("Feet and skin"),
        [
            "foot_wound_or_ulcer",
            "foot_wound_site",
            "foot_red_warm_swollen",
            "foot_red_warm_swollen_side",
            "skin_infection",
        ],
    ),
    (_("Today"), ["temperature_celsius", "fever_or_infection", "pregnant", "trigeminal_trigger_zones"]),
    (
        _("Red flags — need a doctor soon"),
        [
            "weakness_worsening_fast",
            "breathing_or_swallowing_trouble",
            "new_bladder_bowel_problems",
            "sudden_facial_droop",
        ],
    ),
    (_("Notes"), ["notes"]),
]

# The model fields the form edits directly; medications, comorbidities and devices have their own inputs.
MEDICAL_FORM_FIELDS = tuple(
    name
    for _title, names in MEDICAL_GROUPS
    for name in names
    if name not in {"medications_text", "comorbidities_text", "devices", "lymph_node_sites"}
)

MEDICAL_LABELS = {
    "on_anticoagulants": _("Takes anticoagulants (blood thinners)"),
    "on_insulin_or_sulfonylurea": _("Takes insulin or a sulfonylurea"),
    "heart_failure_uncontrolled": _("Heart failure, not controlled"),
    "unstable_glucose": _("Blood glucose unstable lately"),
    "hba1c_percent": _("HbA1c (%)"),
    "dvt_history": _("Has had a deep vein thrombosis (DVT)"),
    "dvt_date": _("Date of the DVT"),
    "dvt_site": _("Where (e.g. left calf)"),
    "dvt_signs_now": _("Now: one-sided calf swelling, pain or warmth"),
    "in_chemotherapy": _("In chemotherapy now"),
    "platelets_per_ul": _("Platelets (per µL)"),
    "neutrophils_per_ul": _("Neutrophils, ANC (per µL)"),
    "labs_date": _("Date of these labs"),
    "lymph_nodes_removed": _("Lymph nodes removed"),
    "lymph_nodes_site": _("More about the nodes removed"),
    "foot_red_warm_swollen_side": _("Which foot"),
    "lymphedema_site": _("Lymphedema where"),
    "radiation": _("Radiation therapy"),
    "radiation_site": _("Radiated area"),
    "recent_surgery_site": _("Surgery where"),
    "tumour_or_enlarged_nodes": _("Tumour or enlarged nodes"),
    "tumour_site": _("Where"),
    "devices_site": _("Device or line site"),
    "foot_wound_or_ulcer": _("Foot wound or ulcer"),
    "foot_wound_site": _("Wound where"),
    "foot_red_warm_swollen": _("A red, warm, swollen or misshapen foot"),
    "skin_infection": _("Skin infection or cellulitis"),
    "temperature_celsius": _("Temperature (°C)"),
    "fever_or_infection": _("Fever or an infection"),
    "trigeminal_trigger_zones": _("Trigeminal trigger zones"),
    "weakness_worsening_fast": _("Weakness getting worse over hours or days"),
    "breathing_or_swallowing_trouble": _("Trouble breathing or swallowing"),
    "new_bladder_bowel_problems": _("New bladder or bowel problems"),
    "sudden_facial_droop": _("Sudden drooping of the face"),
}


class MedicalForm(forms.ModelForm):
    medications_text = forms.CharField(
        label=_("Medications (one per line: name, class)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. “apixaban, anticoagulant”"),
    )
    comorbidities_text = forms.CharField(
        label=_("Other conditions (comma-separated)"), required=False, help_text=_("e.g. migraine, arthritis")
    )
    devices = forms.MultipleChoiceField(
        choices=[
            (d, d.replace("_", " ").upper() if d in {"picc"} else d.replace("_", " ").capitalize())
            for d in sorted(DEVICE_CODES)
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Devices and lines"),
    )
    lymph_node_sites = forms.MultipleChoiceField(
        choices=lymph.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Which lymph nodes were removed, and on which side"),
    )

    class Meta:
        model = MedicalContext
        fields = MEDICAL_FORM_FIELDS
        field_classes = {"dvt_date": HistoryDateField, "labs_date": HistoryDateField}
        widgets = {
            "dvt_date": DateInput(),
            "labs_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            self.fields["medications_text"].initial = "\n".join(
                f"{m['name']}, {m.get('class', '')}".rstrip(", ") for m in self.instance.medications
            )
            self.fields["comorbidities_text"].initial = ", ".join(self.instance.comorbidities)
            self.fields["devices"].initial = self.instance.devices
            self.fields["lymph_node_sites"].initial = self.instance.lymph_node_sites

    def groups(self) -> list[tuple[str, list]]:
        return [(title, [self[name] for name in names]) for title, names in MEDICAL_GROUPS]

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in MEDICAL_FORM_FIELDS}
        meds = []
        for line in self.cleaned_data["medications_text"].splitlines():
            if line.strip():
                name, _sep, cls = line.partition(",")
                meds.append({"name": name.strip(), "class": cls.strip()})
        data["medications"] = meds
        data["comorbidities"] = [
            c.strip() for c in self.cleaned_data["comorbidities_text"].split(",") if c.strip()
        ]
        data["devices"] = self.cleaned_data["devices"]
        data["lymph_node_sites"] = self.cleaned_data["lymph_node_sites"]
        return data


class ConsentForm(forms.Form):
    given = forms.BooleanField(required=False, label=_("The client has read and given consent to treatment"))
    version = forms.ModelChoiceField(
        queryset=ConsentText.objects.none(), required=False, label=_("Consent text"), to_field_name="version"
    )
    method = forms.ChoiceField(choices=Consent.Method.choices, required=False)

    def __init__(self, *args, clinic_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = ConsentText.objects.filter(clinic_id=clinic_id)

    def clean(self):
        data = super().clean()
        if data.get("given") and not data.get("version"):
            self.add_error("version", _("Choose the consent text the client read."))
        return data


class ClientFilterForm(forms.Form):
    """The client list's search and filters (each optional; HTMX sends them as you type or choose)."""

    q = forms.CharField(required=False, label=_("Search by name or email"))
    type = forms.ChoiceField(
        required=False, label=_("Neuropathy type"), choices=[("", _("Any")), *Condition.Type.choices]
    )
    cause = forms.ChoiceField(
        required=False, label=_("Cause"), choices=[("", _("Any")), *Condition.Cause.choices]
    )
    therapist = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Usual therapist")
    )

    def __init__(self, *args, therapists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].choices = [("", _("Any"))] + [(t.id, t.display_name) for t in therapists]
        # Filters by data of the apps above the record (the plan's status), each registered by its app.
        for extra in list_filters():
            self.fields[extra.name] = extra.field()
        for name in self.fields:
            self.fields[name].widget.attrs["id"] = name


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
