"""darkfigure's estimation library: capture tables in, population estimates out.

A pure library: it imports nothing from the rest of darkfigure.

>>> from estimation import read_capture_table, estimate
>>> result = estimate(read_capture_table("data/capture_tables/UKdat_5.csv"), "aic-stepwise")
"""

from estimation.capture_table import CaptureTable, CaptureTableError
from estimation.registry import Estimator, Settings, available, estimate, get, register
from estimation.result import EstimateResult, Provenance
from estimation.table_io import read_capture_table, read_capture_tables, write_capture_csv

__all__ = [
    "CaptureTable",
    "CaptureTableError",
    "EstimateResult",
    "Estimator",
    "Provenance",
    "Settings",
    "available",
    "estimate",
    "get",
    "read_capture_table",
    "read_capture_tables",
    "register",
    "write_capture_csv",
]
