"""Import every estimator family so that their classes register themselves.

The order here is the order `darkfigure methods` and `compare` list them:
the default log-linear family first, then Rcapture's models, then Bayesian ones.
Each family package imports its own method modules in its ``__init__``.
"""

import importlib

FAMILIES = ("estimation.loglinear", "estimation.closed", "estimation.bayes")

for _family in FAMILIES:
    importlib.import_module(_family)
