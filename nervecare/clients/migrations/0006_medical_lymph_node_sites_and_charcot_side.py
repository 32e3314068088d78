"""Structured lymph-node sites (issue 19 point 1) and the side of a suspected Charcot foot (point 6).

Existing records kept the nodes in free text ("left axillary", "R groin and L axilla"): this migration reads
that text once into "<site>_<side>" codes (clients/data/lymph_nodes.yaml as of 2026-12-07, copied here so the
migration never changes meaning). Text it cannot read with certainty (no site, or no side) stays as it was and
gets no codes: the safety rule then restricts every limb that could be at risk until someone records the site.
The free text is never changed or removed.
"""

import re

from django.db import migrations, models

SITE_WORDS = {
    "axillary": ("axilla", "axillae", "axillas", "axillary", "armpit", "armpits"),
    "inguinal": ("inguinal", "groin", "groins"),
    "pelvic": ("pelvic", "pelvis", "iliac"),
    "cervical": ("cervical", "neck"),
}
SIDE_WORDS = {
    "left": ("left", "l", "lt"),
    "right": ("right", "r", "rt"),
    "both": ("both", "bilateral", "bilaterally"),
}


def _sides(words: list[str]) -> set[str]:
    found = set()
    for side, spellings in SIDE_WORDS.items():
        if any(w in spellings for w in words):
            found |= {"left", "right"} if side == "both" else {side}
    return found


def _sites(words: list[str]) -> set[str]:
    return {site for site, spellings in SITE_WORDS.items() if any(w in spellings for w in words)}


def parse_sites(text: str) -> list[str]:
    """Codes read from free text; [] when any part names a site without a side (or nothing readable)."""
    text = (text or "").lower()
    text_sides = _sides(re.findall(r"[a-z]+", text))
    parts = [re.findall(r"[a-z]+", part) for part in re.split(r",|;|\band\b|&|\+", text)]
    parts = [words for words in parts if _sites(words)]
    codes: list[str] = []
    for words in parts:
        sites = _sites(words)
        # A side written apart from its site ("axillary nodes, left") counts only when one site is named.
        sides = _sides(words) or (text_sides if len(parts) == 1 else set())
        if not sides:
            return []  # a site on an unknown side: leave it to a person
        for site in sorted(sites):
            for side in ("left", "right"):
                if side in sides and f"{site}_{side}" not in codes:
                    codes.append(f"{site}_{side}")
    return codes


def forwards(apps, schema_editor):
    MedicalContext = apps.get_model("clients", "MedicalContext")
    for medical in MedicalContext.objects.filter(lymph_nodes_removed=True).exclude(lymph_nodes_site=""):
        codes = parse_sites(medical.lymph_nodes_site)
        if codes:
            MedicalContext.objects.filter(pk=medical.pk).update(lymph_node_sites=codes)


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0005_client_access_grant'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalmedicalcontext',
            name='foot_red_warm_swollen_side',
            field=models.CharField(blank=True, choices=[('left', 'Left foot'), ('right', 'Right foot'), ('both', 'Both feet')], help_text='Which foot is red, warm, swollen or deformed.', max_length=10),
        ),
        migrations.AddField(
            model_name='historicalmedicalcontext',
            name='lymph_node_sites',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='medicalcontext',
            name='foot_red_warm_swollen_side',
            field=models.CharField(blank=True, choices=[('left', 'Left foot'), ('right', 'Right foot'), ('both', 'Both feet')], help_text='Which foot is red, warm, swollen or deformed.', max_length=10),
        ),
        migrations.AddField(
            model_name='medicalcontext',
            name='lymph_node_sites',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
