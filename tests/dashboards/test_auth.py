"""Accounts, sessions and lock-out (darkfigure.auth) on an in-memory warehouse."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from argon2 import PasswordHasher

from darkfigure import auth
from darkfigure.auth import AuthError

MIGRATION = Path(__file__).resolve().parents[2] / "darkfigure/warehouse/migrations/002_auth.sql"
PASSWORD = "correct horse battery"
T0 = datetime(2025, 10, 1, 9, 0, 0)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Argon2 at its lowest cost: the tests check the rules, not the work factor."""
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(MIGRATION.read_text())
    yield connection
    connection.close()


def test_password_is_stored_only_as_argon2_hash(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_create_user_rules(con):
    with pytest.raises(AuthError, match="role"):
        auth.create_user(con, "x", PASSWORD, "superuser")
    with pytest.raises(AuthError, match="--org"):
        auth.create_user(con, "met", PASSWORD, "force")
    with pytest.raises(AuthError, match="at least 10"):
        auth.create_user(con, "ana", "short", "analyst")
    with pytest.raises(AuthError, match="may contain only"):
        auth.create_user(con, "ana smith", PASSWORD, "analyst")
    auth.create_user(con, "ana", PASSWORD, "analyst")
    with pytest.raises(AuthError, match="already"):
        auth.create_user(con, "ana", PASSWORD, "admin")


def test_sign_in_and_session_round_trip(con):
    auth.create_user(con, "met", PASSWORD, "force", org_code="MET", display_name="Met user")
    user, token = auth.sign_in(con, "met", PASSWORD, now=T0)
    assert user == auth.User("met", "force", "MET", "Met user")
    found, _ = auth.session_user(con, token, now=T0 + timedelta(minutes=1))
    assert found == user
    (stored,) = con.execute("SELECT token_sha256 FROM sessions").fetchone()
    assert token not in stored
    auth.end_session(con, token)
    assert auth.session_user(con, token, now=T0 + timedelta(minutes=2)) == (None, False)


def test_wrong_name_and_wrong_password_say_the_same(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    with pytest.raises(AuthError) as unknown:
        auth.authenticate(con, "bob", PASSWORD)
    with pytest.raises(AuthError) as wrong:
        auth.authenticate(con, "ana", "not the password")
    assert str(unknown.value) == str(wrong.value)


def test_session_expires_when_idle_and_touch_keeps_it_alive(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    _, token = auth.sign_in(con, "ana", PASSWORD, now=T0)
    later = T0 + auth.IDLE_TIMEOUT - timedelta(minutes=1)
    user, needs_touch = auth.session_user(con, token, now=later)
    assert user is not None and needs_touch
    auth.touch_session(con, token, now=later)
    assert auth.session_user(con, token, now=later + timedelta(hours=7))[0] is not None
    expired = later + timedelta(hours=7) + auth.IDLE_TIMEOUT + timedelta(minutes=1)
    assert auth.session_user(con, token, now=expired)[0] is None


def test_session_has_an_absolute_limit(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    _, token = auth.sign_in(con, "ana", PASSWORD, now=T0)
    now = T0
    while now <= T0 + auth.MAX_SESSION:
        now += timedelta(hours=4)
        auth.touch_session(con, token, now=now)
    assert auth.session_user(con, token, now=now)[0] is None


def test_five_failures_lock_the_account_for_fifteen_minutes(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    for i in range(auth.MAX_FAILURES - 1):
        with pytest.raises(AuthError, match="not right"):
            auth.authenticate(con, "ana", f"wrong password {i}", now=T0)
    with pytest.raises(AuthError, match="locked for 15 minutes"):
        auth.authenticate(con, "ana", "wrong password 5", now=T0)
    # The right password does not help while locked.
    with pytest.raises(AuthError, match="locked"):
        auth.authenticate(con, "ana", PASSWORD, now=T0 + timedelta(minutes=14))
    assert auth.list_users(con, now=T0)["status"].tolist() == ["locked"]
    assert auth.authenticate(con, "ana", PASSWORD, now=T0 + timedelta(minutes=16)).role == "analyst"


def test_failures_count_from_zero_after_a_lock_runs_out(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    for i in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            auth.authenticate(con, "ana", f"wrong password {i}", now=T0)
    later = T0 + auth.LOCKOUT + timedelta(seconds=1)
    with pytest.raises(AuthError, match="not right"):
        auth.authenticate(con, "ana", "wrong again!!", now=later)


def test_admin_unlock_and_success_resets_failures(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    for i in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            auth.authenticate(con, "ana", f"wrong password {i}", now=T0)
    auth.unlock(con, "ana")
    auth.authenticate(con, "ana", PASSWORD, now=T0)
    (failures,) = con.execute("SELECT failed_attempts FROM users").fetchone()
    assert failures == 0
    with pytest.raises(AuthError, match="no user"):
        auth.unlock(con, "nobody")


def test_disabling_or_new_password_ends_sessions(con):
    auth.create_user(con, "ana", PASSWORD, "analyst")
    _, token = auth.sign_in(con, "ana", PASSWORD)
    auth.set_password(con, "ana", "another long passphrase")
    assert auth.session_user(con, token)[0] is None
    _, token = auth.sign_in(con, "ana", "another long passphrase")
    auth.set_active(con, "ana", False)
    assert auth.session_user(con, token)[0] is None
    with pytest.raises(AuthError, match="disabled"):
        auth.authenticate(con, "ana", "another long passphrase")
    assert auth.list_users(con)["status"].tolist() == ["disabled"]


def test_roles_that_see_unpublished_runs():
    assert auth.User("a", "analyst").sees_unpublished
    assert auth.User("a", "admin").sees_unpublished
    assert not auth.User("p", "policymaker").sees_unpublished
    assert not auth.User("f", "force", "MET").sees_unpublished
