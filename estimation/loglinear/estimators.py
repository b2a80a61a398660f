"""The registered log-linear estimators: independence, stepwise, aic-stepwise, bic.

Each chooses a two-way hierarchical model (or takes main effects only), fits
it by extended maximum likelihood and reports ``N_hat = n + exp(b0)`` with
an interval chosen by :class:`~estimation.registry.Settings`:

* ``profile``: the multinomial profile-likelihood interval of the chosen model
  (Cormack 1992; Rcapture ``closedpCI.t``), which ignores model selection;
* ``bootstrap``: BCa bootstrap that repeats the model selection on every
  replicate (SparseMSE ``estimatepopulation``; for ``bic`` the search in each
  replicate is restricted to the original top models, as Silverman, Chan and
  Vincent 2024 do);
* ``none``.

Options (``Settings.options``): ``threshold`` (stepwise p-value, 0.02),
``wald`` (aic-stepwise Wald p, 0.05), ``top`` (bic ranking length, 20),
``ntop`` (bic bootstrap models: all up to 3 lists, 20 for 4, 100 beyond),
``n_jobs`` (bootstrap worker processes, 1).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any

import numpy as np

from estimation.capture_table import CaptureTable
from estimation.intervals import bca_interval, profile_interval
from estimation.loglinear.batch import single_threaded_blas
from estimation.loglinear.bic_search import EXHAUSTIVE_MAX_LISTS, search_bic
from estimation.loglinear.fit import LoglinearFit, fit_terms
from estimation.loglinear.model_space import PairSpace
from estimation.loglinear.selection import (
    STEPWISE_THRESHOLD,
    WALD_THRESHOLD,
    Selection,
    aic_stepwise,
    stepwise,
)
from estimation.loglinear.terms import Term
from estimation.registry import Estimator, Fit, register
from estimation.result import EXISTENCE_NOT_IDENTIFIABLE


class LoglinearEstimator(Estimator):
    """Shared machinery: fit the chosen model, add the interval and diagnostics."""

    family = "log-linear"
    #: Model masks are 64-bit integers over the t(t-1)/2 pairs (45 at 10 lists),
    #: and the design has 2**t - 1 rows.
    max_lists = 10

    @abstractmethod
    def choose(self) -> tuple[tuple[Term, ...], dict[str, Any]]:
        """The chosen interaction terms and the selection's diagnostics."""

    @abstractmethod
    def replicate(self, table: CaptureTable) -> float:
        """The whole estimation (selection included) on a bootstrap replicate."""

    def option(self, name: str, default: Any) -> Any:
        """A method option from the settings."""
        return self.settings.options.get(name, default)

    def _fit(self) -> Fit:
        with single_threaded_blas():
            terms, selection = self.choose()
            fit = fit_terms(self.table, terms)
        if fit.status == EXISTENCE_NOT_IDENTIFIABLE:
            raise ValueError(f"{self.table.source or 'table'}: {fit.existence.reason}")
        warnings = list(fit.warnings) + list(selection.pop("warnings", []))
        diagnostics = fit.diagnostics() | selection
        lower = upper = math.nan
        interval = "none"
        draws = None
        if self.settings.interval == "profile":
            lower, upper, interval = self._profile(fit, diagnostics, warnings)
        elif self.settings.interval == "bootstrap":
            lower, upper, draws = self._bootstrap(fit, diagnostics, warnings)
            interval = "bootstrap-bca"
        return Fit(
            estimate=fit.estimate,
            lower=lower,
            upper=upper,
            interval=interval,
            model=fit.term_names,
            existence=fit.status,
            warnings=tuple(warnings),
            diagnostics=diagnostics,
            draws=draws,
        )

    def _profile(
        self, fit: LoglinearFit, diagnostics: dict[str, Any], warnings: list[str]
    ) -> tuple[float, float, str]:
        try:
            prof = profile_interval(
                fit.design(),
                self.table.counts,
                level=self.settings.level,
                active=fit.existence.face,
            )
        except ValueError as err:
            warnings.append(f"no profile-likelihood interval: {err}")
            return math.nan, math.nan, "none"
        diagnostics["profile"] = {
            "N_max": prof.estimate,
            "lower": prof.lower,
            "upper": prof.upper,
            "loglik_max": prof.loglik_max,
        }
        if not prof.bounded:
            warnings.append(
                "the profile likelihood does not fall below the cut-off: the upper bound "
                "is unbounded"
            )
        diagnostics["interval_note"] = "profile likelihood of the chosen model; ignores selection"
        return prof.lower, prof.upper, "profile"

    def _bootstrap(
        self, fit: LoglinearFit, diagnostics: dict[str, Any], warnings: list[str]
    ) -> tuple[float, float, np.ndarray]:
        s = self.settings
        boot = bca_interval(
            self.table,
            self.replicate,
            B=s.boot,
            level=s.level,
            seed=s.seed,
            estimate=fit.estimate,
            n_jobs=int(self.option("n_jobs", 1)),
        )
        diagnostics["bootstrap"] = {
            "B": s.boot,
            "failed": boot.failed,
            "z0": boot.z0,
            "acceleration": boot.acceleration,
            "jackknife_failed": boot.jackknife_failed,
            "median": float(np.median(boot.replicates)) if boot.replicates.size else math.nan,
        }
        if boot.failed:
            warnings.append(
                f"{boot.failed} of {s.boot} bootstrap replicates gave no estimate and were "
                f"left out ({boot.first_failure})"
            )
        return boot.lower, boot.upper, boot.replicates


def _selection_diagnostics(sel: Selection) -> dict[str, Any]:
    return {
        "selection_path": list(sel.path),
        "selection_stop": sel.stop,
        "skipped": dict(sel.skipped),
    }


@register
class Independence(LoglinearEstimator):
    """Main effects only: the lists are independent (Rcapture Mt)."""

    name = "independence"
    title = "Log-linear, main effects only (lists independent)"
    reference = "Home Office (2014); Rcapture Mt"

    def choose(self) -> tuple[tuple[Term, ...], dict[str, Any]]:
        return (), {}

    def replicate(self, table: CaptureTable) -> float:
        with single_threaded_blas():
            fits = PairSpace(table).fit(np.zeros(1, np.int64))
        return float(fits.estimate[0])


@register
class Stepwise(LoglinearEstimator):
    """Poisson p-value forward selection (Chan, Silverman and Vincent 2021)."""

    name = "stepwise"
    title = "Log-linear, stepwise by Poisson p-value < 0.02 (SparseMSE)"
    reference = "Chan, Silverman and Vincent (2021) JASA 116; SparseMSE"

    def _threshold(self) -> float:
        return float(self.option("threshold", STEPWISE_THRESHOLD))

    def choose(self) -> tuple[tuple[Term, ...], dict[str, Any]]:
        sel = stepwise(self.table, threshold=self._threshold())
        return sel.terms, _selection_diagnostics(sel) | {"threshold": self._threshold()}

    def replicate(self, table: CaptureTable) -> float:
        return stepwise(table, threshold=self._threshold()).estimate


@register
class AicStepwise(LoglinearEstimator):
    """Forward selection by AIC with a Wald check (Home Office 2014)."""

    name = "aic-stepwise"
    title = "Log-linear, forward AIC with Wald p <= 0.05 (Home Office 2014)"
    reference = "Home Office (2014); Bales, Hesketh and Silverman (2015)"

    def _wald(self) -> float:
        return float(self.option("wald", WALD_THRESHOLD))

    def choose(self) -> tuple[tuple[Term, ...], dict[str, Any]]:
        sel = aic_stepwise(self.table, wald=self._wald())
        return sel.terms, _selection_diagnostics(sel) | {"wald_threshold": self._wald()}

    def replicate(self, table: CaptureTable) -> float:
        return aic_stepwise(table, wald=self._wald()).estimate


@register
class Bic(LoglinearEstimator):
    """Lowest BIC over all two-way hierarchical models (downhill beyond 6 lists)."""

    name = "bic"
    title = "Log-linear, lowest BIC over all two-way models (Silverman et al. 2024)"
    reference = "Silverman, Chan and Vincent (2024) Statistics and Computing 34:44"

    _top_models: np.ndarray | None = None

    def _ntop(self) -> int:
        default = {2: 2, 3: 8, 4: 20}.get(self.table.t, 100)
        return int(self.option("ntop", default))

    def choose(self) -> tuple[tuple[Term, ...], dict[str, Any]]:
        top = int(self.option("top", 20))
        bootstrap = self.settings.interval == "bootstrap"
        search = search_bic(self.table, top=max(top, self._ntop()) if bootstrap else top)
        space = PairSpace(self.table)
        best = search.best
        terms = tuple(
            p for p in space.pairs if ":".join(self.table.lists[i] for i in p) in best.terms
        )
        if bootstrap and search.search == "exhaustive":
            names = [m.terms for m in search.ranking[: self._ntop()]]
            self._top_models = np.array([_mask(space, n) for n in names], np.int64)
        diag = {
            "ranking": [m.to_dict() for m in search.ranking[:top]],
            "search": search.search,
            "models_total": search.models_total,
            "models_fitted": search.models_fitted,
            "skipped": dict(search.skipped),
        }
        if search.path:
            diag["selection_path"] = list(search.path)
        if search.note:
            diag["warnings"] = [search.note]
        if self._top_models is not None:
            diag["bootstrap_models"] = len(self._top_models)
        return terms, diag

    def replicate(self, table: CaptureTable) -> float:
        if self._top_models is None or table.t > EXHAUSTIVE_MAX_LISTS:
            with single_threaded_blas():
                return search_bic(table, top=1).best.estimate
        space = PairSpace(table)
        fits = space.fit(self._top_models)
        bic = fits.neg2loglik + space.n_params(fits.models) * math.log(table.n)
        bic = np.where(fits.admissible, bic, np.inf)
        if not np.isfinite(bic).any():
            raise ValueError("none of the top models is admissible on this replicate")
        return float(fits.estimate[int(np.argmin(bic))])


def _mask(space: PairSpace, names: tuple[str, ...]) -> int:
    lists = space.table.lists
    return sum(
        1 << k for k, p in enumerate(space.pairs) if ":".join(lists[i] for i in p) in names
    )
