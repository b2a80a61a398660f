"""``darkfigure dashboard`` and ``darkfigure users``: the web app and its accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from darkfigure import auth
from darkfigure.app import app
from darkfigure.errors import UserError
from darkfigure.pipeline.setup import require_current
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, transaction
from darkfigure.warehouse.store import audit

users_app = typer.Typer(help="Dashboard accounts: add, list, unlock.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def streamlit_command(port: int, host: str) -> list[str]:
    """The command line that serves the dashboard.

    ``dashboards.serve`` starts the warm-up thread (imports, the headline read,
    Great Expectations) and then ``streamlit run dashboards/app.py`` in the same
    process, so that the first readers find it warm.
    """
    return [
        sys.executable, "-m", "dashboards.serve",
        "--server.port", str(port), "--server.address", host,
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
        "--theme.base", "light", "--theme.primaryColor", "#1d3557",
    ]


def _existing_warehouse(settings: Settings) -> Path:
    path = settings.warehouse_path
    if not path.exists():
        raise UserError(
            f"no warehouse at {path}: run `darkfigure init` (or `darkfigure demo`) first, "
            "or set DARKFIGURE_HOME"
        )
    return path


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "localhost",
) -> None:
    """Serve the dashboard (Streamlit) and print its address."""
    settings = Settings.from_env()
    _existing_warehouse(settings)
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        (n_users,) = con.execute("SELECT count(*) FROM users").fetchone() or (0,)
    shown = "localhost" if host in ("0.0.0.0", "") else host
    typer.echo(f"darkfigure dashboard: http://{shown}:{port}  (warehouse {settings.home})")
    if not n_users:
        typer.echo("No accounts yet: add one with `darkfigure users add NAME --role admin`.")
    env = {**os.environ, "DARKFIGURE_HOME": str(settings.home)}
    try:
        done = subprocess.run(streamlit_command(port, host), env=env, check=False)
    except KeyboardInterrupt:
        return
    if done.returncode not in (0, -2, 130):
        raise UserError(f"the dashboard stopped with exit code {done.returncode}",
                        exit_code=1)


def _password(password_file: Path | None) -> str:
    if password_file is None:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise UserError(f"cannot read the password file {password_file}: {err.strerror}") from None
    if not lines:
        raise UserError(f"the password file {password_file} is empty")
    return lines[0]


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="force | analyst | policymaker | admin")],
    org: Annotated[str | None, typer.Option(help="Organisation code (force users).")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the dashboard.")] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from the first line of this file.")
    ] = None,
) -> None:
    """Add a dashboard account (the password is prompted for unless --password-file)."""
    settings = Settings.from_env()
    _existing_warehouse(settings)
    password = _password(password_file)
    org_code = org.strip().upper() if org else None
    with connect(settings.warehouse_path) as con:
        require_current(con)
        if org_code and con.execute(
            "SELECT 1 FROM organisations WHERE org_code = ?", [org_code]
        ).fetchone() is None:
            raise UserError(f"organisation code '{org_code}' is not known to the warehouse; "
                            "the codes are in data/reference/organisations.csv")
        with transaction(con):
            user = auth.create_user(con, name, password, role, org_code=org_code,
                                    display_name=display_name)
            audit(con, "cli", "user.add", f"user:{user.username}", {"role": role})
    typer.echo(f"Added {user.username} ({user.role}{', ' + org_code if org_code else ''}).")


@users_app.command("list")
def users_list() -> None:
    """List the dashboard accounts and their status."""
    settings = Settings.from_env()
    _existing_warehouse(settings)
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        frame = auth.list_users(con)
    if frame.empty:
        typer.echo("No accounts yet: add one with `darkfigure users add NAME --role admin`.")
        return
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    typer.echo(frame[["username", "role", "org_code", "status", "failed_attempts",
                      "last_sign_in"]].to_string(index=False))


@users_app.command("unlock")
def users_unlock(name: Annotated[str, typer.Argument(help="Sign-in name.")]) -> None:
    """Clear an account's lock-out after too many wrong passwords."""
    settings = Settings.from_env()
    _existing_warehouse(settings)
    with connect(settings.warehouse_path) as con:
        require_current(con)
        with transaction(con):
            auth.unlock(con, name)
            audit(con, "cli", "user.unlock", f"user:{name}")
    typer.echo(f"Unlocked {name}.")
