"""Registered estimators for Rcapture's closed-population models.

``M0``, ``Mt``, ``Mh-chao``, ``Mh-poisson2``, ``Mh-darroch``, ``Mh-gamma3.5``
and the ``Mth-*`` variants: the Poisson estimate, standard error, deviance,
df, AIC and BIC of Rcapture ``closedp.t``, with the profile-likelihood interval
of ``closedpCI.t`` (or a BCa bootstrap interval, or none, as
:class:`~estimation.registry.Settings` asks).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from estimation.capture_table import CaptureTable
from estimation.closed.designs import HETEROGENEITY, HETEROGENEITY_LABEL, closed_design
from estimation.closed.fit import fit_closed
from estimation.intervals.bootstrap import bca_interval
from estimation.intervals.profile import profile_interval
from estimation.loglinear.batch import single_threaded_blas
from estimation.registry import Estimator, Fit, register
from estimation.result import EXISTENCE_NO_MLE, EXISTENCE_OK

REFERENCE = (
    "Baillargeon and Rivest (2007) J. Stat. Software 19(5); Rcapture closedp.t / closedpCI.t"
)

_DESCRIPTION = {
    "M0": "equal capture probabilities for every list and person",
    "Mt": "capture probabilities vary by list (independence model)",
    "Mh": "capture probabilities vary between people",
    "Mth": "capture probabilities vary by list and between people",
}


class ClosedPopulationEstimator(Estimator):
    """Base of the closed-population estimators; subclasses set ``model`` and ``h``."""

    family = "closed-population"
    reference = REFERENCE
    # 2**t cells: beyond 15 lists the design no longer fits comfortably in memory.
    max_lists = 15
    #: Chao's model has t - 2 constrained parameters, each dropped and refitted in turn
    #: (Rcapture ``Chao.neg``): at 15 lists a profile interval took half a minute.
    CHAO_MAX_LISTS = 12
    model: ClassVar[str]
    h: ClassVar[str | None] = None

    def _fit(self) -> Fit:
        # The designs are small: threaded BLAS only adds contention (30x slower under load).
        with single_threaded_blas():
            return self._fit_single_threaded()

    def _fit_single_threaded(self) -> Fit:
        table = self.table
        design = closed_design(table.t, self.model, self.h)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging fit is reported below
            fit = fit_closed(table, design)
        if not (fit.converged and math.isfinite(fit.estimate)):
            raise ValueError(
                f"N cannot be estimated with {design.label} on this table: the fit runs off to "
                "infinity instead of converging (too few people caught once or twice for "
                "this model); choose another model"
            )
        settings = self.settings
        warnings: list[str] = []
        existence = EXISTENCE_OK
        if not fit.mle_exists:
            existence = EXISTENCE_NO_MLE
            warnings.append(
                f"the {design.label} maximum-likelihood estimate does not exist: "
                f"{int((~fit.face).sum())} empty capture patterns are fitted as zero "
                "(extended MLE); treat the estimate with caution"
            )
        if not fit.information_ok:
            existence = EXISTENCE_NO_MLE
            warnings.append(
                f"the {design.label} fit has a singular information matrix: its standard "
                "error and interval are unavailable and the estimate is unreliable"
            )
        diagnostics: dict[str, object] = {
            "se": fit.se,
            "deviance": fit.deviance,
            "df": fit.df,
            "AIC": fit.AIC,
            "BIC": fit.BIC,
            "loglik": fit.loglik,
            "parameters": dict(fit.parameters),
        }
        if fit.set_to_zero:
            diagnostics["set_to_zero"] = list(fit.set_to_zero)
        etas = [design.names[j] for j in design.nonneg]
        if etas and set(etas) <= set(fit.set_to_zero):
            # Rcapture's Chao.neg rule can drop every eta: what is left is the model
            # without heterogeneity, which the reader should know they are looking at.
            warnings.append(
                f"every eta parameter of {design.label} was negative and set to zero (as "
                "in Rcapture), so this is the estimate of the same model without "
                "heterogeneity"
            )
        if fit.aliased:
            diagnostics["aliased"] = list(fit.aliased)
        if not fit.mle_exists:
            diagnostics["face_cells"] = int(fit.face.sum())
        lower = upper = math.nan
        interval = "none"
        prof = None
        if settings.interval == "profile" and fit.ok:
            try:
                with np.errstate(all="ignore"):
                    prof = profile_interval(
                        design.X,
                        table.counts,
                        level=settings.level,
                        active=fit.face,
                        nonneg=design.nonneg,
                    )
            except ValueError as err:
                warnings.append(f"no profile-likelihood interval: {err}")
        if prof is not None:
            lower, upper, interval = prof.lower, prof.upper, "profile"
            diagnostics["profile_estimate"] = prof.estimate
            if not prof.bounded:
                warnings.append(
                    "the profile likelihood does not fall to the cut-off: the upper bound "
                    "is unbounded"
                )
        elif settings.interval == "bootstrap" and fit.ok:
            boot = bca_interval(
                table,
                _poisson_estimate(self.model, self.h),
                B=settings.boot,
                level=settings.level,
                seed=settings.seed,
                n_jobs=int(settings.options.get("n_jobs", 1)),
                estimate=fit.estimate,
            )
            lower, upper, interval = boot.lower, boot.upper, "bootstrap-bca"
            diagnostics.update(
                boot_failed=boot.failed, boot_z0=boot.z0, boot_acceleration=boot.acceleration
            )
            if boot.failed:
                warnings.append(
                    f"{boot.failed} of {settings.boot} bootstrap replicates failed and were "
                    f"left out (first: {boot.first_failure})"
                )
        return Fit(
            estimate=fit.estimate,
            lower=lower,
            upper=upper,
            interval=interval,
            model=(design.label,),
            existence=existence,
            warnings=tuple(warnings),
            diagnostics=diagnostics,
        )


def _poisson_estimate(model: str, h: str | None) -> Callable[[CaptureTable], float]:
    """The bootstrap's estimator: the same model refitted on a replicate table."""

    def estimate(table: CaptureTable) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging replicate fails below
            fit = fit_closed(table, closed_design(table.t, model, h))
        if not fit.ok:
            raise ValueError(f"{fit.label} did not converge")
        return fit.estimate

    return estimate


def _define(model: str, h: str | None) -> type[ClosedPopulationEstimator]:
    name = model if h is None else f"{model}-{h}"
    label = model if h is None else f"{model} {HETEROGENEITY_LABEL[h]}"
    cls = type(
        name.replace("-", "_").replace(".", "_"),
        (ClosedPopulationEstimator,),
        {
            "name": name,
            "title": f"{label}: {_DESCRIPTION[model]} (Rcapture, log-linear form)",
            "model": model,
            "h": h,
            "min_lists": 2 if h is None else 3,
            "max_lists": ClosedPopulationEstimator.CHAO_MAX_LISTS
            if h == "chao"
            else ClosedPopulationEstimator.max_lists,
            "__doc__": f"Rcapture's {label} closed-population model.",
            "__module__": __name__,
        },
    )
    return register(cls)


M0 = _define("M0", None)
Mt = _define("Mt", None)
MH = {h: _define("Mh", h) for h in HETEROGENEITY}
MTH = {h: _define("Mth", h) for h in HETEROGENEITY}
