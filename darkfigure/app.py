"""The typer application object that every command module adds its commands to."""

import typer

app = typer.Typer(
    name="darkfigure",
    help="Estimate the hidden number of human trafficking victims from agencies' records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
