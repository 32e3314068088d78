"""PDF reports (reportlab, charts as PNG): client.py, a client's progress report for the client or the
referring clinician; clinic.py, the clinic's outcome report; pdf.py, the page, fonts, styles and building
blocks they share (the right-of-access export in nervecare/ops uses them too)."""
