"""Import every estimator family so that their classes register themselves.

Each family package imports its own method modules in its ``__init__``.
"""

from estimation import bayes, closed, loglinear  # noqa: F401
