"""loglinear estimators (registered on import)."""
