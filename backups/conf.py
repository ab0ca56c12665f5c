"""Settings of the backups app, read when used so tests can override them.

Each may be set in Django settings or, without touching settings.py, in the environment:

BACKUPS_DIR (ITSM_BACKUPS_DIR)               where the portal writes its own backups
BACKUPS_ENCRYPTION_KEY (ITSM_BACKUPS_KEY)    passphrase; set it to encrypt those backups
BACKUPS_PG_BIN_DIR (ITSM_BACKUPS_PG_BIN_DIR) directory of pg_dump / pg_restore (else PATH)
BACKUPS_OPENSSL (ITSM_BACKUPS_OPENSSL)       the openssl binary used for encryption
BACKUPS_TICK_SECONDS                         how often beat runs the backup schedule (300)
BACKUPS_RETENTION_SECONDS                    how often retention is enforced (3600)
"""

import os
from pathlib import Path

from django.conf import settings


def _get(name: str, env: str | None, default):
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(env, "") if env else ""
    return value if value not in (None, "") else default


def backups_dir() -> Path:
    path = Path(_get("BACKUPS_DIR", "ITSM_BACKUPS_DIR", settings.VAR_DIR / "backups"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def encryption_key() -> str:
    return str(_get("BACKUPS_ENCRYPTION_KEY", "ITSM_BACKUPS_KEY", ""))


def pg_tool(name: str) -> str:
    bin_dir = _get("BACKUPS_PG_BIN_DIR", "ITSM_BACKUPS_PG_BIN_DIR", "")
    return str(Path(bin_dir) / name) if bin_dir else name


def openssl() -> str:
    return str(_get("BACKUPS_OPENSSL", "ITSM_BACKUPS_OPENSSL", "openssl"))


def tick_seconds() -> float:
    return float(_get("BACKUPS_TICK_SECONDS", "BACKUPS_TICK_SECONDS", 300))


def retention_seconds() -> float:
    return float(_get("BACKUPS_RETENTION_SECONDS", "BACKUPS_RETENTION_SECONDS", 3600))
