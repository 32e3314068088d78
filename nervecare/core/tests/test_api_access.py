import json

import pytest

INTAKE = {
    "client": {"first_name": "Maria", "last_name": "Lopez", "date_of_birth": "1958-03-02"},
    "conditions": [{"type": "peripheral", "cause": "diabetes_t2", "numbness": 7, "pain": 4}],
}


def p(label, r, n=300):
    print("=====", label, r.status_code)
    try:
        print(json.dumps(r.json(), indent=None, default=str)[:n])
    except Exception:
        print(r.content[:300])


@pytest.mark.django_db
def test_probe(therapist_user):
    from django.test import Client as C

    from nervecare.core.services import api_token_create

    tok, plain = api_token_create(user=therapist_user, name="t")
    c = C(enforce_csrf_checks=True)
    p("bearer get", c.get("/api/v1/clients", HTTP_AUTHORIZATION=f"Bearer {plain}"))
    p(
        "bearer post",
        c.post(
            "/api/v1/clients", INTAKE, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}"
        ),
    )
    c2 = C(enforce_csrf_checks=True)
    c2.force_login(therapist_user)
    p("session post no csrf", c2.post("/api/v1/clients", INTAKE, content_type="application/json"))
