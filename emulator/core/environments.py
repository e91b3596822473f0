"""Environment kinds: what a secret key's prefix selects, and their slugs."""

from __future__ import annotations

import re

#: Key prefix part -> environment type.
ENV_TYPES = {"dev": "DEVELOPMENT", "stg": "STAGING", "prod": "PRODUCTION", "preview": "PREVIEW"}
#: Environment type -> the slug the API shows.
ENV_SLUGS = {"DEVELOPMENT": "dev", "STAGING": "staging", "PRODUCTION": "prod", "PREVIEW": "preview"}
#: The Python API's environment names -> secret key prefix.
KEY_PREFIXES = {"dev": "tr_dev_", "staging": "tr_stg_", "prod": "tr_prod_", "preview": "tr_preview_"}

_KEY = re.compile(r"^tr_(dev|stg|prod|preview)_[A-Za-z0-9_]+$")


def key_environment_type(api_key: str) -> str | None:
    """The environment type a secret key names, or None for a malformed key."""
    match = _KEY.match(api_key)
    return ENV_TYPES[match.group(1)] if match else None
