"""Simulation studies: how well each estimator recovers a known N.

Named scenarios (:mod:`darkfigure.study.scenarios`) draw capture tables of a
population of known size; replicates run on Dask
(:mod:`darkfigure.study.execution`); :func:`summarise` reports bias, relative
RMSE, 95% interval coverage and width per method; :mod:`darkfigure.study.report`
records the table in ``benchmarks/results/study_<scenario>.md`` and ``.csv``.
"""

from darkfigure.study.scenarios import SCENARIOS, LatentClass, Scenario, scenario
from darkfigure.study.simulation import run_replicates, summarise

__all__ = ["SCENARIOS", "LatentClass", "Scenario", "run_replicates", "scenario", "summarise"]
