"""CLI commands, one module per area (each adds its commands to darkfigure.app.app)."""
