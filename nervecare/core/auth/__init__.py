"""Signing in: two-factor authentication (`mfa`), its pages (`views`, `urls`) and the sign-in receivers
(`signals`). Who may do what once signed in: core/permissions.py."""

# The session's idle clock: started at sign-in (signals), read and moved on each request (core/middleware.py
# IdleSessionMiddleware). Here, so that the sign-in receivers need not import the middleware (which imports
# this package's mfa).
IDLE_CLOCK_SESSION_KEY = "nervecare_last_activity"
