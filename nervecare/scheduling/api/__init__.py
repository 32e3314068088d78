"""API routes for services, hours, slots, appointments, series and the waitlist: one router (common.py), its
routes in a module per subject. The modules are imported in this order, which is the order of the routes in
the OpenAPI document (unchanged since this was one module)."""

# isort: off
from nervecare.scheduling.api import catalogue  # noqa: F401 - each adds its routes to the router
from nervecare.scheduling.api import appointments  # noqa: F401
from nervecare.scheduling.api import courses  # noqa: F401
from nervecare.scheduling.api import waitlist  # noqa: F401

# isort: on
from nervecare.scheduling.api.common import appointment_as_dict, router, waitlist_entry_as_dict
from nervecare.scheduling.api.inputs import CancelIn

__all__ = ["CancelIn", "appointment_as_dict", "router", "waitlist_entry_as_dict"]
