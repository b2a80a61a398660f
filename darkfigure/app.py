"""The typer application object that every command module adds its commands to."""

import getpass

import typer

app = typer.Typer(
    name="darkfigure",
    help="Estimate the hidden number of human trafficking victims from agencies' records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def actor_name(actor: str | None) -> str:
    """Who is acting, for the audit log: the ``--actor`` given, else the login name."""
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
