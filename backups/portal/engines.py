"""Dump, test-restore and restore the portal's database: SQLite and PostgreSQL.

Each dump also counts the rows of every table *in the same snapshot* as the dump (SQLite:
in the copy the online backup API made; PostgreSQL: in a REPEATABLE READ transaction whose
exported snapshot pg_dump reuses with --snapshot), so a verification can restore the file
into a scratch database and compare the counts exactly.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from .. import conf
from .storage import BackupError, gunzip_file, gzip_file


@dataclass
class Dump:
    path: Path  # the plain artefact (compressed, not yet encrypted)
    row_counts: dict[str, int]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- SQLite -----------------------------------------------------------------------------------
class SQLiteEngine:
    vendor = "sqlite"
    suffix = ".sqlite3.gz"

    def __init__(self, connection):
        self.connection = connection

    @staticmethod
    def count_rows(conn: sqlite3.Connection) -> dict[str, int]:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            name: conn.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]  # noqa: S608
            for name in names
        }

    def dump(self, workdir: Path, stem: str) -> Dump:
        if self.connection.in_atomic_block:
            raise BackupError(_("The SQLite online backup must run outside a transaction."))
        self.connection.ensure_connection()
        copy = workdir / f"{stem}.sqlite3"
        target = sqlite3.connect(copy)
        try:
            # One step copies every page under one read lock: a consistent snapshot even
            # while web and worker keep writing (WAL).
            self.connection.connection.backup(target)
            counts = self.count_rows(target)
        finally:
            target.close()
        packed = workdir / f"{stem}{self.suffix}"
        gzip_file(copy, packed)
        copy.unlink()
        return Dump(path=packed, row_counts=counts)

    def test_restore(self, plain: Path, workdir: Path, run_id: int) -> dict[str, int]:
        scratch = workdir / f"verify-{run_id}.sqlite3"
        gunzip_file(plain, scratch)
        try:
            conn = sqlite3.connect(f"file:{scratch}?mode=ro", uri=True)
            try:
                check = conn.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise BackupError(
                        _("The integrity check of the restored copy failed: %(result)s")
                        % {"result": check}
                    )
                return self.count_rows(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                _("The restored copy is not a readable database: %(error)s") % {"error": exc}
            ) from exc
        finally:
            scratch.unlink(missing_ok=True)

    def restore_into(self, plain: Path, destination: str, workdir: Path) -> None:
        """Write the backup into `destination` (a file path) with the online backup API, so a
        database other processes have open is replaced page by page, atomically."""
        unpacked = workdir / "restore.sqlite3"
        gunzip_file(plain, unpacked)
        source = sqlite3.connect(unpacked)
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()


# --- PostgreSQL -------------------------------------------------------------------------------
class PostgresEngine:
    vendor = "postgresql"
    suffix = ".pgdump"
    _SCHEMAS = "schemaname NOT IN ('pg_catalog', 'information_schema')"

    def __init__(self, connection):
        self.settings = connection.settings_dict

    def _params(self, dbname: str | None = None) -> dict:
        s = self.settings
        params = {
            "dbname": dbname or s["NAME"],
            "user": s.get("USER") or None,
            "password": s.get("PASSWORD") or None,
            "host": s.get("HOST") or None,
            "port": s.get("PORT") or None,
        }
        params.update({k: v for k, v in (s.get("OPTIONS") or {}).items() if k == "sslmode"})
        return {k: v for k, v in params.items() if v is not None}

    def _env(self, dbname: str | None = None) -> dict:
        p = self._params(dbname)
        names = {
            "dbname": "PGDATABASE",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "host": "PGHOST",
            "port": "PGPORT",
            "sslmode": "PGSSLMODE",
        }
        return {**os.environ, **{names[k]: str(v) for k, v in p.items()}}

    def _connect(self, dbname: str | None = None):
        import psycopg2

        return psycopg2.connect(**self._params(dbname))

    @staticmethod
    def _run(args: list[str], env: dict) -> None:
        tool = args[0]
        if shutil.which(tool) is None and not Path(tool).is_file():
            raise BackupError(
                _("%(tool)s is not installed (set BACKUPS_PG_BIN_DIR).") % {"tool": tool}
            )
        done = subprocess.run(args, env=env, capture_output=True, timeout=6 * 3600, check=False)  # noqa: S603
        if done.returncode != 0:
            error = done.stderr.decode(errors="replace").strip()[:2000]
            raise BackupError(
                _("%(tool)s failed: %(error)s") % {"tool": Path(tool).name, "error": error}
            )

    def count_rows(self, cursor) -> dict[str, int]:
        cursor.execute(
            f"SELECT schemaname, tablename FROM pg_tables WHERE {self._SCHEMAS} "  # noqa: S608
            "ORDER BY schemaname, tablename"
        )
        counts = {}
        for schema, table in cursor.fetchall():
            cursor.execute(f"SELECT count(*) FROM {_quote(schema)}.{_quote(table)}")  # noqa: S608
            key = table if schema == "public" else f"{schema}.{table}"
            counts[key] = cursor.fetchone()[0]
        return counts

    def dump(self, workdir: Path, stem: str) -> Dump:
        path = workdir / f"{stem}{self.suffix}"
        conn = self._connect()
        try:
            conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                counts = self.count_rows(cursor)
                # The exporting transaction stays open until pg_dump has imported it.
                self._run(
                    [
                        conf.pg_tool("pg_dump"),
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={path}",
                    ],
                    self._env(),
                )
            conn.rollback()
        finally:
            conn.close()
        return Dump(path=path, row_counts=counts)

    def _admin(self):
        conn = self._connect("postgres")
        conn.autocommit = True
        return conn

    def test_restore(self, plain: Path, workdir: Path, run_id: int) -> dict[str, int]:
        scratch = f"{self.settings['NAME'][:30]}_verify_{run_id}_{secrets.token_hex(3)}"
        admin = self._admin()
        try:
            with admin.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {_quote(scratch)}")
            try:
                self._run(
                    [
                        conf.pg_tool("pg_restore"),
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        f"--dbname={scratch}",
                        str(plain),
                    ],
                    self._env(scratch),
                )
                conn = self._connect(scratch)
                try:
                    with conn.cursor() as cursor:
                        return self.count_rows(cursor)
                finally:
                    conn.close()
            finally:
                with admin.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {_quote(scratch)} WITH (FORCE)")
        finally:
            admin.close()

    def restore_into(self, plain: Path, destination: str, workdir: Path) -> None:
        """pg_restore --clean into `destination` (a database name), in one transaction."""
        self._run(
            [
                conf.pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={destination}",
                str(plain),
            ],
            self._env(destination),
        )


def engine_for(connection):
    if connection.vendor == "sqlite":
        return SQLiteEngine(connection)
    if connection.vendor == "postgresql":
        return PostgresEngine(connection)
    raise BackupError(
        _("Portal backups do not support %(vendor)s.") % {"vendor": connection.vendor}
    )


def engine_named(vendor: str, connection):
    if vendor != connection.vendor:
        raise BackupError(
            _("This backup is of a %(vendor)s database; the portal runs on %(now)s.")
            % {"vendor": vendor, "now": connection.vendor}
        )
    return engine_for(connection)
