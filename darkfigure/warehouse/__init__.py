"""The DuckDB warehouse: connections, schema migrations, reads and writes.

``connect(path, read_only=False)`` opens a connection for one operation (waiting
briefly for the file lock); ``transaction(con)`` wraps a change so readers never
see half of it; ``migrate(con)`` applies the numbered SQL files in
``migrations/``.  Reads are in :mod:`darkfigure.warehouse.queries`, writes in
:mod:`darkfigure.warehouse.store`.
"""

from darkfigure.warehouse.connection import connect, open_connection, transaction
from darkfigure.warehouse.migrations import available_migrations, migrate, pending_migrations

__all__ = [
    "available_migrations",
    "connect",
    "migrate",
    "open_connection",
    "pending_migrations",
    "transaction",
]
