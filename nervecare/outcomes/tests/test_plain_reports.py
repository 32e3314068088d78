"""Issue 19, point 10: the client's PDF is in plain language, the clinician's keeps the statistics; the charts'
text is at least 12 px and nothing is cut off."""

import re

import pytest
from django.urls import reverse

from nervecare.conftest import login
from nervecare.outcomes import charts
from nervecare.outcomes.tests.test_views import pdf_text

pytestmark = pytest.mark.django_db

JARGON = (
    "95%",
    "CI",
    "confidence",
    "IMMPACT",
    "PGIC",
    "responder",
    "Farrar",
    "baseline",
    "clinically important",
)


def _report(user, client, audience: str) -> str:
    r = login(user).get(reverse("outcomes:client_pdf", args=[client.id]) + f"?audience={audience}")
    assert r.status_code == 200
    # Only the strings the page draws ("(...) Tj"), not the bytes of the charts' images.
    shown = re.findall(r"\(((?:\\.|[^\\)])*)\)\s*Tj", pdf_text(r.content))
    return " ".join(" ".join(shown).replace("\\(", "(").replace("\\)", ")").split())


def test_the_clients_pdf_speaks_plainly_and_explains_likely_real_improvement(rosa, therapist_user):
    text = _report(therapist_user, rosa, "client")
    for word in JARGON:
        assert not re.search(rf"\b{re.escape(word)}\b", text), f"the client's copy says {word!r}"
    assert "likely real improvement" in text  # Rosa's pain went 6 -> 3: the word for a responder
    assert "What" in text and "likely real improvement" in text and "means" in text
    assert "Pain: 6.0 when you started, 3.3 now. A likely real improvement." in text
    assert "right after the massage" in text  # the immediate effect, without its interval


def test_the_clinicians_pdf_keeps_the_statistics(rosa, therapist_user):
    text = _report(therapist_user, rosa, "clinician")
    assert "95% CI" in text and "Methods" in text and "Clinically important improvement" in text


def _font_sizes(svg: str) -> list[float]:
    return [float(v) for v in re.findall(r'font-size="([\d.]+)(?:px)?"', svg)]


def test_chart_text_is_drawn_at_12_px_or_more_at_its_natural_size():
    from nervecare.outcomes.stats import Estimate

    rows = [
        {
            "label": "Chemotherapy-induced peripheral neuropathy, a long group name",
            "evaluable": 12,
            "responder_rate": Estimate(value=0.5, low=0.25, high=0.75, n=12),
            "mean_change": Estimate(value=-1.5, low=-2.5, high=-0.5, n=12),
        },
        {
            "label": "Diabetes",
            "evaluable": 8,
            "responder_rate": Estimate(value=0.25, low=0.07, high=0.59, n=8),
            "mean_change": Estimate(value=-0.5, low=-1.5, high=0.5, n=8),
        },
    ]
    for svg in (
        charts.to_svg(charts.group_figure(rows, "Responders by cause"), "alt"),
        charts.to_svg(charts.change_figure(rows, "Mean change by cause"), "alt"),
    ):
        width, height = (
            float(v) for v in re.search(r'<svg[^>]*\swidth="([\d.]+)" height="([\d.]+)"', svg).groups()
        )
        view = [float(v) for v in re.search(r'viewBox="([^"]*)"', svg).group(1).split()]
        assert (width, height) == pytest.approx((view[2], view[3]), abs=1)  # one unit: one CSS px
        sizes = _font_sizes(svg)
        assert sizes and min(sizes) >= 12
        assert "Chemotherapy-induced peripheral neuropathy, a long group name" in svg
