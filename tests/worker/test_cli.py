"""The installed `alert-whisperer` console script, run as an operator would, against a SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(sys.executable).parent / "alert-whisperer"


class Cli:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db_file = workdir / "aw.db"
        # Only our own AW_ variables, and a working directory without a .env, so nothing leaks in.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
        self.env["AW_DATABASE_URL"] = f"sqlite+aiosqlite:///{self.db_file}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLI), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def query(self, sql: str, *params: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db_file) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    assert CLI.exists(), f"console script not installed next to {sys.executable}"
    migrated = Cli(tmp_path)
    migrated.ok("migrate")
    return migrated


def test_migrate_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    first = cli.run("migrate")
    assert first.returncode == 0, first.stderr
    assert "database at head" in first.stderr
    tables = {name for (name,) in cli.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"company", "user", "user_company", "alert", "webhook_delivery", "incident"} <= tables
    again = cli.run("migrate")
    assert again.returncode == 0, again.stderr


def test_company_create_json_prints_one_object_with_id_api_key_and_hmac_secret(cli: Cli) -> None:
    out = cli.ok("company", "create", "Acme", "--json")
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    issued = json.loads(lines[0])
    assert set(issued) == {"id", "api_key", "hmac_secret"}
    assert all(isinstance(v, str) and v for v in issued.values())
    rows = cli.query(
        "SELECT c.name, k.key_hash, k.prefix, c.hmac_secret_encrypted FROM company c "
        "JOIN company_api_key k ON k.company_id = c.id WHERE c.id = ?",
        issued["id"],
    )
    assert len(rows) == 1
    name, key_hash, prefix, secret_stored = rows[0]
    assert name == "Acme"
    # Shown once: neither credential is stored in clear.
    assert prefix == issued["api_key"][:10] and key_hash != issued["api_key"]
    assert issued["hmac_secret"] not in str(secret_stored)


def test_company_create_without_json_prints_labelled_lines(cli: Cli) -> None:
    result = cli.run("company", "create", "Globex")
    assert result.returncode == 0, result.stderr
    labels = [line.split()[0] for line in result.stdout.strip().splitlines()]
    assert labels == ["id", "api_key", "hmac_secret"]
    assert "not shown again" in result.stderr


def test_user_create_for_a_company_prints_the_new_users_id(cli: Cli) -> None:
    company_id = json.loads(cli.ok("company", "create", "Acme", "--json"))["id"]
    out = cli.ok(
        "user",
        "create",
        "--email",
        "Tech@Example.com",
        "--password",
        "correct horse battery",
        "--role",
        "technician",
        "--company",
        company_id,
    )
    user_id = out.strip()
    assert len(out.strip().splitlines()) == 1 and user_id
    assert cli.query('SELECT email, role FROM "user" WHERE id = ?', user_id) == [
        ("tech@example.com", "technician")
    ]
    assert cli.query("SELECT company_id FROM user_company WHERE user_id = ?", user_id) == [(company_id,)]


def test_msp_admin_needs_no_company(cli: Cli) -> None:
    user_id = cli.ok(
        "user",
        "create",
        "--email",
        "admin@example.com",
        "--password",
        "correct horse battery",
        "--role",
        "msp_admin",
    ).strip()
    assert cli.query('SELECT role FROM "user" WHERE id = ?', user_id) == [("msp_admin",)]


def test_technician_without_company_exits_non_zero_with_a_clear_message(cli: Cli) -> None:
    result = cli.run(
        "user",
        "create",
        "--email",
        "tech@example.com",
        "--password",
        "correct horse battery",
        "--role",
        "technician",
    )
    assert result.returncode != 0
    assert "a technician belongs to at least one company (--company ID)" in result.stderr
    assert result.stdout == ""
    assert cli.query('SELECT count(*) FROM "user"') == [(0,)]


def test_user_create_refuses_an_unknown_company_a_weak_password_and_a_taken_email(cli: Cli) -> None:
    company_id = json.loads(cli.ok("company", "create", "Acme", "--json"))["id"]
    base = ["user", "create", "--role", "company_admin", "--password", "correct horse battery"]
    unknown = cli.run(*base, "--email", "a@example.com", "--company", "co_doesnotexist")
    assert unknown.returncode != 0 and "no company with id co_doesnotexist" in unknown.stderr
    short = cli.run(
        "user", "create", "--role", "msp_admin", "--email", "b@example.com", "--password", "short"
    )
    assert short.returncode != 0 and "at least 12 characters" in short.stderr
    common = cli.run(
        "user", "create", "--role", "msp_admin", "--email", "b@example.com", "--password", "Password123456"
    )
    assert common.returncode != 0 and "commonly used password" in common.stderr
    cli.ok(*base, "--email", "c@example.com", "--company", company_id)
    taken = cli.run(*base, "--email", "C@example.com", "--company", company_id)
    assert taken.returncode != 0 and "already exists" in taken.stderr
    assert cli.query('SELECT email FROM "user"') == [("c@example.com",)]


def test_unknown_role_is_refused_by_the_command_line(cli: Cli) -> None:
    result = cli.run(
        "user",
        "create",
        "--email",
        "x@example.com",
        "--password",
        "correct horse battery",
        "--role",
        "superuser",
    )
    assert result.returncode == 2
    assert "superuser" in result.stderr


def test_sqlite_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual default, which left the file world-readable (0644)
    try:
        cli = Cli(tmp_path)
        cli.ok("migrate")
        cli.ok("company", "create", "Acme")
        files = [cli.db_file, *tmp_path.glob("aw.db-*")]
        with sqlite3.connect(cli.db_file) as db:  # keeps the -wal and -shm files while it is open
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS probe (x)")
            files += list(tmp_path.glob("aw.db-*"))
            modes = {path.name: oct(path.stat().st_mode & 0o777) for path in files}
    finally:
        os.umask(previous)
    assert modes[cli.db_file.name] == oct(0o600)
    assert set(modes.values()) == {oct(0o600)}, modes
