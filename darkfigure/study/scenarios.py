"""Named scenarios of a simulation study: how lists record a population of known size.

A scenario is a mixture of latent classes of people.  Within a class, lists
record a person one after another with probability ``sigmoid(logit_j + sum of
referral boosts from the lists that recorded them before)``; a boost between a
parent and a child list is exactly a two-way interaction of a log-linear model
(positive: referral, negative: avoidance).  Several classes with different
probabilities make heterogeneity.  The probability of every capture pattern is
computed exactly, and a replicate's table is one multinomial draw of N people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from estimation.capture_table import CaptureTable, pattern_matrix


@dataclass(frozen=True)
class LatentClass:
    """A class of people who share capture probabilities.

    Attributes
    ----------
    weight
        Share of the population in the class.
    probs
        Probability each list records a person of the class (with no referral).
    referrals
        ``(parent, child) -> boost`` on the logit of ``child`` when ``parent``
        (an earlier list, by index) recorded the person.
    """

    weight: float
    probs: tuple[float, ...]
    referrals: dict[tuple[int, int], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A parent drawn before its child keeps the referral graph acyclic.
        for parent, child in self.referrals:
            if not 0 <= parent < child < len(self.probs):
                raise ValueError(f"referral ({parent}, {child}): parent must be an earlier list")


@dataclass(frozen=True)
class Scenario:
    """A population of size ``N`` recorded by ``lists`` as described by ``classes``."""

    name: str
    title: str
    N: int
    lists: tuple[str, ...]
    classes: tuple[LatentClass, ...]

    def pattern_probabilities(self) -> np.ndarray:
        """Probability of each of the ``2**t`` patterns, index = pattern bits (0: unseen)."""
        t = len(self.lists)
        pats = np.vstack([np.zeros((1, t), dtype=np.int8), pattern_matrix(t)])
        total = np.zeros(2**t)
        weights = np.array([c.weight for c in self.classes], dtype=float)
        for cls, w in zip(self.classes, weights / weights.sum(), strict=True):
            p = np.ones(2**t)
            for j in range(t):
                logit = np.full(2**t, np.log(cls.probs[j] / (1 - cls.probs[j])))
                for (parent, child), boost in cls.referrals.items():
                    if child == j:
                        logit = logit + boost * pats[:, parent]
                q = 1.0 / (1.0 + np.exp(-logit))
                p = p * np.where(pats[:, j] == 1, q, 1 - q)
            total += w * p
        return total

    @property
    def p_observed(self) -> float:
        """Chance a person is on at least one list."""
        return float(1.0 - self.pattern_probabilities()[0])

    def draw(self, rng: np.random.Generator) -> CaptureTable:
        """One replicate: the capture table of N people recorded as the scenario says."""
        counts = rng.multinomial(self.N, self.pattern_probabilities())
        return CaptureTable(self.lists, counts[1:], source=f"scenario {self.name}")

    def describe(self) -> str:
        """One paragraph for the report."""
        return (f"{self.title} True N = {self.N:,}; {len(self.lists)} lists; "
                f"{self.p_observed:.0%} of people are on at least one list.")


def _five(p: float) -> tuple[float, ...]:
    # Unequal list sizes around p, as real lists are.
    return tuple(round(p * f, 4) for f in (1.3, 0.8, 1.0, 1.2, 0.7))


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "independent", "Five lists that record people independently and alike "
            "(every method's assumptions hold).",
            2000, ("A", "B", "C", "D", "E"), (LatentClass(1.0, _five(0.15)),),
        ),
        Scenario(
            "heterogeneity", "Two hidden classes: 25% of people are four times as visible "
            "to every list as the rest (unobserved heterogeneity, lists independent within "
            "a class).",
            2000, ("A", "B", "C", "D", "E"),
            (LatentClass(0.75, _five(0.07)), LatentClass(0.25, _five(0.28))),
        ),
        Scenario(
            "positive-dependence", "Referrals between lists: A refers to B, C to D and B to "
            "E (two-way log-linear interactions of 1.0 to 1.5).",
            2000, ("A", "B", "C", "D", "E"),
            (LatentClass(1.0, _five(0.12), {(0, 1): 1.5, (2, 3): 1.2, (1, 4): 1.0}),),
        ),
        Scenario(
            "negative-dependence", "Avoidance: people recorded by A are less likely to reach "
            "B, and by C to reach E (interactions of -1.0 and -0.8).",
            2000, ("A", "B", "C", "D", "E"),
            (LatentClass(1.0, _five(0.2), {(0, 1): -1.0, (2, 4): -0.8}),),
        ),
        Scenario(
            "sparse-many-lists", "Eight small lists (2% to 9% each), one referral pair; "
            "many overlaps are empty, as in the New Orleans data.",
            1500, ("A", "B", "C", "D", "E", "F", "G", "H"),
            (LatentClass(1.0, (0.09, 0.06, 0.05, 0.04, 0.03, 0.03, 0.02, 0.02),
                         {(0, 1): 1.2}),),
        ),
        Scenario(
            "uk-like", "Six UK lists (LA NG PF GO GP NCA) as in the synthetic nation of "
            "`darkfigure simulate`: referrals PF->GO, LA->NG, PF->NCA, NG->GP and mild "
            "heterogeneity (three visibility classes, logit sd 0.2).",
            2000, ("LA", "NG", "PF", "GO", "GP", "NCA"),
            tuple(
                LatentClass(w, tuple(1 / (1 + np.exp(-(b + v)))
                                     for b in (-2.55, -1.95, -2.15, -2.75, -3.4, -3.8)),
                            {(2, 3): 1.5, (0, 1): 1.2, (2, 5): 1.5, (1, 4): 1.2})
                for w, v in ((0.25, -0.283), (0.5, 0.0), (0.25, 0.283))
            ),
        ),
    )
}


def scenario(name: str) -> Scenario:
    """The scenario called ``name``.

    Raises
    ------
    KeyError
        Naming the known scenarios.
    """
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario '{name}'; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]
