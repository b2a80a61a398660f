"""bayes estimators (registered on import)."""
