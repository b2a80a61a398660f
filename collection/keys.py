"""The pseudonymisation key: the secret under which match keys are hashed.

The key never enters the warehouse.  It is read from the environment variable
``DARKFIGURE_KEY`` (64 hex digits, or any text of at least 16 characters), or
else from the key file (:attr:`darkfigure.settings.Settings.key_file`, made by
``darkfigure key init``), which must be readable by its owner only.  Without
either, darkfigure refuses to pseudonymise, except in demo mode
(``DARKFIGURE_DEMO=1``), where the public :data:`DEMO_KEY` is used: match keys
made with it are not secret, so demo mode is for synthetic data only.

Every organisation's returns must be hashed under the same key for their
records to link; changing the key means re-linking from the raw archive.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from collection.errors import KeyMissingError
from darkfigure.errors import UserError
from darkfigure.settings import Settings

#: The public demo key (documented, not secret): synthetic data only.
DEMO_KEY = b"darkfigure-demo-key-public-not-secret"
MIN_KEY_BYTES = 16
_HEX = re.compile(r"^[0-9a-fA-F]{32,}$")


def _parse(text: str, where: str) -> bytes:
    text = text.strip()
    key = bytes.fromhex(text) if _HEX.match(text) and len(text) % 2 == 0 else text.encode()
    if len(key) < MIN_KEY_BYTES:
        raise KeyMissingError(
            f"the pseudonymisation key in {where} is too short ({len(key)} bytes; at least "
            f"{MIN_KEY_BYTES} needed). Make a new one with: darkfigure key init")
    return key


def load_key(settings: Settings) -> bytes:
    """The pseudonymisation key of this installation.

    Parameters
    ----------
    settings
        Installation settings (key file, demo mode).

    Raises
    ------
    KeyMissingError
        No key in ``DARKFIGURE_KEY`` nor in the key file and not in demo mode,
        or the key file is readable by others, or the key is too short.
    """
    env = os.environ.get("DARKFIGURE_KEY")
    if env:
        return _parse(env, "DARKFIGURE_KEY")
    path = settings.key_file
    if path is not None and path.is_file():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyMissingError(
                f"the key file {path} can be read by other users (mode {mode:o}); "
                f"restrict it with: chmod 600 {path}")
        return _parse(path.read_text(encoding="utf-8"), f"key file {path}")
    if settings.demo:
        return DEMO_KEY
    where = f"the key file {path}" if path is not None else "a key file"
    raise KeyMissingError(
        f"no pseudonymisation key: DARKFIGURE_KEY is not set and {where} does not exist. "
        "Create one with `darkfigure key init` (keep it outside the warehouse and back it up), "
        "or set DARKFIGURE_DEMO=1 for synthetic data only.")


def init_key(path: Path) -> Path:
    """Create a new random 256-bit key file (hex) readable by its owner only.

    Raises
    ------
    UserError
        If the file already exists (a key is never overwritten: records hashed
        under it would no longer link).
    """
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UserError(
            f"a key file already exists at {path}; it is not overwritten, because records "
            "hashed under it would no longer link. Move it away first if you really mean to "
            "replace it.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path
