"""Console users: argon2id hashes, roles, refusals, and the `callpoint user` command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from callpoint.console.accounts import AccountError, AccountStore, Role
from callpoint.console.sessions import SessionManager


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[AccountStore]:
    store = AccountStore(tmp_path / "cp.db")
    store.open()
    yield store
    store.close()


def test_password_is_stored_as_argon2id_and_verified(accounts: AccountStore) -> None:
    accounts.add_user("alice", Role.OPERATOR, "s3cret-enough")
    [stored] = accounts.conn.execute("SELECT password_hash FROM console_users").fetchone()
    assert stored.startswith("$argon2id$") and "s3cret" not in stored
    user = accounts.authenticate("alice", "s3cret-enough")
    assert user is not None and user.role is Role.OPERATOR
    assert accounts.authenticate("alice", "s3cret-enougH") is None
    assert accounts.authenticate("bob", "s3cret-enough") is None


def test_refusals(accounts: AccountStore) -> None:
    accounts.add_user("alice", Role.ADMIN, "long enough")
    with pytest.raises(AccountError, match="exists"):
        accounts.add_user("alice", Role.OPERATOR, "long enough")
    with pytest.raises(AccountError, match="password"):
        accounts.add_user("bob", Role.OPERATOR, "short")
    with pytest.raises(AccountError, match="user name"):
        accounts.add_user("bob smith", Role.OPERATOR, "long enough")
    with pytest.raises(ValueError, match="janitor"):
        accounts.add_user("bob", Role("janitor"), "long enough")


def test_roles_include_lower_roles() -> None:
    assert Role.ADMIN.includes(Role.OPERATOR)
    assert Role.SUPERVISOR.includes(Role.SUPERVISOR)
    assert not Role.OPERATOR.includes(Role.SUPERVISOR)


def test_disabling_a_user_ends_sessions_and_logins(accounts: AccountStore) -> None:
    user = accounts.add_user("alice", Role.OPERATOR, "long enough")
    sessions = SessionManager(accounts)
    token, _ = sessions.create(user)
    assert sessions.find(token) is not None
    accounts.set_disabled("alice", True)
    sessions._cache.clear()
    assert sessions.find(token) is None
    assert accounts.authenticate("alice", "long enough") is None


def test_sessions_survive_a_restart_and_only_a_hash_is_stored(tmp_path: Path) -> None:
    first = AccountStore(tmp_path / "cp.db")
    first.open()
    token, _ = SessionManager(first).create(first.add_user("al", Role.OPERATOR, "long enough"))
    stored = [r[0] for r in first.conn.execute("SELECT token_hash FROM console_sessions")]
    first.close()
    assert token not in stored
    again = AccountStore(tmp_path / "cp.db")
    again.open()
    session = SessionManager(again).find(token)
    again.close()
    assert session is not None and session.user == "al"


def test_user_command_reads_the_password_from_stdin(tmp_path: Path) -> None:
    db = str(tmp_path / "cp.db")
    cli = [sys.executable, "-m", "callpoint.cli", "user", "--db", db]
    done = subprocess.run(
        [*cli, "add", "dana", "--role", "supervisor"],
        input="a long passphrase\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "a long passphrase" not in done.stdout
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, timeout=30, check=True)
    assert "dana" in listed.stdout and "supervisor" in listed.stdout
    again = subprocess.run(
        [*cli, "add", "dana"], input="another one!\n", capture_output=True, text=True, timeout=30
    )
    assert again.returncode == 1 and "exists" in again.stderr
    store = AccountStore(Path(db))
    store.open()
    assert store.authenticate("dana", "a long passphrase") is not None
    store.close()
