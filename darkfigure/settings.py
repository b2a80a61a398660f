"""Where darkfigure keeps its state, read from the environment.

``DARKFIGURE_HOME`` (default ``./var``) holds the warehouse, the archive of raw
returns, quarantined returns with their reports, and logs.  The pseudonymisation
key is never stored in the warehouse: it comes from ``DARKFIGURE_KEY`` (hex or
text) or from a key file (``DARKFIGURE_KEY_FILE``, default ``~/.config/darkfigure/key``).
``DARKFIGURE_DEMO=1`` allows a fixed, public demo key: never for real data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Reference data shipped with the product (forces, organisations, code lists).
DATA_DIR = REPO_ROOT / "data"


@dataclass(frozen=True)
class Settings:
    """Paths and modes of one darkfigure installation.

    Parameters
    ----------
    home
        State directory.
    demo
        Demo mode: synthetic data, a public key is acceptable.
    key_file
        Where the pseudonymisation key is read from if ``DARKFIGURE_KEY`` is unset.
    """

    home: Path
    demo: bool = False
    key_file: Path | None = None

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        """Settings from the environment (``home`` overrides ``DARKFIGURE_HOME``)."""
        root = Path(home or os.environ.get("DARKFIGURE_HOME", "var")).expanduser().resolve()
        key_file = os.environ.get("DARKFIGURE_KEY_FILE")
        return cls(
            home=root,
            demo=os.environ.get("DARKFIGURE_DEMO", "") in ("1", "true", "yes"),
            key_file=Path(key_file).expanduser()
            if key_file
            else Path.home() / ".config" / "darkfigure" / "key",
        )

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB warehouse file."""
        return self.home / "warehouse.duckdb"

    @property
    def archive_dir(self) -> Path:
        """Raw returns, archived under their SHA-256."""
        return self.home / "archive"

    @property
    def quarantine_dir(self) -> Path:
        """Rejected returns with their validation reports."""
        return self.home / "quarantine"

    @property
    def reports_dir(self) -> Path:
        """Validation reports written by ``darkfigure validate``."""
        return self.home / "reports"

    @property
    def runs_dir(self) -> Path:
        """Posterior draws (InferenceData) of saved estimate runs."""
        return self.home / "runs"

    @property
    def log_dir(self) -> Path:
        """Logs (never containing identity fields)."""
        return self.home / "logs"

    def ensure_dirs(self) -> None:
        """Create the state directories."""
        for path in (
            self.home,
            self.archive_dir,
            self.quarantine_dir,
            self.reports_dir,
            self.runs_dir,
            self.log_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)
