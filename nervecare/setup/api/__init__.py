"""The set-up API (/api/v1/setup/...): the same operations as the set-up pages, through the same services.

The clinic's admins only, their own clinic only (another clinic's object answers 404). Bearer tokens may read
and change the clinic's configuration with the `setup:read` / `setup:write` scopes; inviting, deactivating and
resetting a colleague's second factor are closed to tokens (an admin signed in with a second factor does it).

A package (it passed 500 lines): one module per part of the set-up, each adding its operations to the one
`router` (imported from here by nervecare/api.py).
"""

from nervecare.setup.api import catalogue, clinic, staff
from nervecare.setup.api._common import router

__all__ = ["catalogue", "clinic", "router", "staff"]
