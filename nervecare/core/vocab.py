"""Loading of the versioned YAML data files that hold NerveCare's clinical knowledge."""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@cache
def load_yaml(relative_path: str) -> Any:
    """Read a data file shipped inside the package (cached: the files are read-only at run time)."""
    with (PACKAGE_DIR / relative_path).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
