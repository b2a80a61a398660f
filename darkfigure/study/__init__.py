"""Simulation studies: how well each estimator recovers a known N.

Named scenarios (:mod:`darkfigure.study.scenarios`) draw capture tables of a
population of known size; replicates run on Dask
(:mod:`darkfigure.study.execution`) and each one is kept
(:mod:`darkfigure.study.store`, ``benchmarks/results/study_reps/``), so a study
interrupted or continued elsewhere adds replicates instead of starting over;
:func:`summarise` reports bias, relative RMSE, 95% interval coverage (with its
Monte Carlo error), width and the MCMC gate outcomes per method;
:mod:`darkfigure.study.report` rebuilds the table in
``benchmarks/results/study_<scenario>.md`` and ``.csv`` from every recorded replicate.
"""

from darkfigure.study.scenarios import SCENARIOS, LatentClass, Scenario, scenario
from darkfigure.study.simulation import run_replicates, summarise

__all__ = ["SCENARIOS", "LatentClass", "Scenario", "run_replicates", "scenario", "summarise"]
