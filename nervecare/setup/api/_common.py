"""The set-up API's router and the schema base every request body uses (unknown fields refused)."""

from ninja import Router, Schema
from pydantic import ConfigDict

router = Router(tags=["setup"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")
