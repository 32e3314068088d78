"""Portal forms: large, plain, one question at a time where it helps."""

from django import forms
from django.utils.translation import gettext_lazy as _

RATING_CHOICES = [(i, str(i)) for i in range(11)]


class DiaryForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    pain = forms.TypedChoiceField(
        label=_("Pain (0 = none, 10 = worst)"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    numbness = forms.TypedChoiceField(
        label=_("Numbness (0 = none, 10 = worst)"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    tingling = forms.TypedChoiceField(
        label=_("Tingling (0 = none, 10 = worst)"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    sleep = forms.TypedChoiceField(
        label=_("How much did symptoms disturb your sleep? (0 = not at all, 10 = could not sleep)"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Anything else? (one line, optional)"), max_length=200, required=False)
