"""Files of the portal's own backups: names, checksums, compression, encryption, deletion.

Encryption uses the openssl command line (AES-256-CBC, PBKDF2 with 200 000 iterations and a
random salt); the passphrase reaches openssl through its environment, never its arguments.
The SHA-256 checksum is taken of the final file, so it detects any corruption of what is
stored, encrypted or not.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from django.utils.translation import gettext as _

from .. import conf

PREFIX = "portal-"
MANIFEST_SUFFIX = ".manifest.json"
_PASS_ENV = "ITSM_BACKUP_PASSPHRASE"


class BackupError(Exception):
    """A portal backup, verification or restore step failed; the message says which."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gzip_file(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, gzip.open(dst, "wb", compresslevel=6) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


def gunzip_file(src: Path, dst: Path) -> None:
    try:
        with gzip.open(src, "rb") as fin, dst.open("wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
    except (OSError, EOFError) as exc:
        raise BackupError(
            _("Cannot decompress %(name)s: %(error)s") % {"name": src.name, "error": exc}
        ) from exc


def _openssl(args: list[str], key: str) -> None:
    env = {**os.environ, _PASS_ENV: key}
    cmd = [conf.openssl(), "enc", "-aes-256-cbc", "-pbkdf2", "-iter", "200000", *args,
           "-pass", f"env:{_PASS_ENV}"]  # fmt: skip
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=3600, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(_("openssl is not installed; encrypted backups need it.")) from exc
    if done.returncode != 0:
        raise BackupError(
            _("openssl failed: %(error)s") % {"error": done.stderr.decode(errors="replace").strip()}
        )


def encrypt(src: Path, dst: Path, key: str) -> None:
    _openssl(["-salt", "-in", str(src), "-out", str(dst)], key)


def decrypt(src: Path, dst: Path, key: str) -> None:
    if not key:
        raise BackupError(_("This backup is encrypted: set BACKUPS_ENCRYPTION_KEY to read it."))
    _openssl(["-d", "-in", str(src), "-out", str(dst)], key)


def manifest_path(artefact: Path) -> Path:
    return artefact.with_name(artefact.name + MANIFEST_SUFFIX)


def write_manifest(artefact: Path, manifest: dict) -> Path:
    path = manifest_path(artefact)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return path


def read_manifest(artefact: Path) -> dict:
    path = manifest_path(artefact)
    if not path.exists():
        raise BackupError(_("No manifest next to %(name)s.") % {"name": artefact.name})
    return json.loads(path.read_text())


def delete_artefacts(run) -> list[str]:
    """Delete the files of an expired portal run. Only files the portal named are touched."""
    deleted = []
    if not run.location:
        return deleted
    artefact = Path(run.location)
    if not artefact.name.startswith(PREFIX):
        raise BackupError(
            _("Refusing to delete %(path)s: not a portal backup file.") % {"path": artefact}
        )
    for path in (artefact, manifest_path(artefact)):
        if path.is_file():
            path.unlink()
            deleted.append(str(path))
    return deleted
