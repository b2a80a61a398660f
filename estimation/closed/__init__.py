"""closed estimators (registered on import)."""
