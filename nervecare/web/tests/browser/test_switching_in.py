"""Switching in, clicked through in Chromium (issue 16, "Done means"): a CSV from another system imports with
a dry run, and again with no duplicates; every page axe-clean at desktop and phone widths."""

import re

from nervecare.web.tests.browser.conftest import log_in, shoot

# A Cliniko-style patients export (the preset's header spellings), with one bad row.
BAD = (
    "ID,First Name,Last Name,Date of Birth,Email,Address 1,City\r\n"
    "101,Harriet,Vane,1958-03-04,harriet@example.org,1 Mecklenburgh Sq,London\r\n"
    "102,Peter,Wimsey,31/02/1950,not-an-email,,\r\n"
)
GOOD = BAD.replace("31/02/1950,not-an-email", "1950-11-15,peter@example.org")


def _upload(page, text: str) -> None:
    page.goto("/clinic/import/")
    page.select_option("#id_kind", "clients")
    page.select_option("#id_preset", "cliniko")
    page.set_input_files(
        "#id_file", files=[{"name": "Patients-Cliniko.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Upload and map the columns").click()
    page.wait_for_url(re.compile(r"/clinic/import/[0-9a-f-]+/$"))


def test_a_csv_from_another_system_imports_with_a_dry_run_and_again_without_duplicates(page, clinic_setup):
    from nervecare.clients.models import Client
    from nervecare.core.tests.factories import UserFactory

    clinic = clinic_setup["clinic"]
    UserFactory(username="owner", clinic=clinic, role="admin", first_name="Olive", last_name="Owner")
    log_in(page, "owner")
    page.get_by_role("link", name="Import & export").first.click()
    page.wait_for_url("**/clinic/import/")
    shoot(page, "import-start")

    _upload(page, BAD)
    # The preset found the columns; the user sees and can change each one.
    assert page.input_value("#map_first_name") == "First Name"
    assert page.input_value("#map_date_of_birth") == "Date of Birth"
    assert page.input_value("#map_external_id") == "ID"
    shoot(page, "import-mapping")
    page.get_by_role("button", name="Check every row (dry run)").click()
    page.wait_for_selector("#import-errors")
    errors = page.locator("#import-errors tbody tr").all_inner_texts()
    assert any(t.startswith("3\tDate of Birth\tDate of birth") for t in errors), errors
    assert any(t.startswith("3\tEmail\tEmail") and "not an email address" in t for t in errors), errors
    assert page.get_by_role("button", name="Import now").count() == 0  # a file with problems cannot import
    shoot(page, "import-dry-run-problems")
    assert not Client.objects.filter(last_name="Vane").exists()

    _upload(page, GOOD)
    page.get_by_role("button", name="Check every row (dry run)").click()
    page.wait_for_selector("#import-summary")
    assert "New: 2" in page.locator("#import-summary").inner_text()
    shoot(page, "import-dry-run-clean")
    page.get_by_role("button", name="Import now").click()
    page.wait_for_selector("#import-done")
    assert "2 clients created" in page.locator("#import-done").inner_text()
    shoot(page, "import-done")
    assert Client.objects.filter(clinic=clinic, last_name__in=["Vane", "Wimsey"]).count() == 2

    # The same file again: the dry run says it was imported before, and importing adds nothing.
    _upload(page, GOOD)
    page.get_by_role("button", name="Check every row (dry run)").click()
    page.wait_for_selector("#import-summary")
    assert "Imported before (nothing to do): 2" in page.locator("#import-summary").inner_text()
    page.get_by_role("button", name="Import now").click()
    page.wait_for_selector("#import-done")
    assert Client.objects.filter(clinic=clinic, last_name__in=["Vane", "Wimsey"]).count() == 2
    vane = Client.objects.get(last_name="Vane")
    assert vane.address == "1 Mecklenburgh Sq\nLondon"

    page.goto("/clinic/export/")
    shoot(page, "clinic-export")
    page.goto(f"/clients/{vane.pk}/documents/")
    shoot(page, "client-documents")
