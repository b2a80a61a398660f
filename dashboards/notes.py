"""Plain-language notes on the estimation methods, for readers who are not statisticians."""

from __future__ import annotations

NOTES = {
    "aic-stepwise": "The Home Office 2014 method: adds the pairs of agencies whose lists "
                    "overlap more or less than chance, one at a time, while the fit improves.",
    "stepwise": "Adds a pair of agencies only when their overlap is clearly unlike chance; "
                "robust on sparse data (Chan, Silverman and Vincent 2021).",
    "bic": "Looks at every combination of agency pairs and keeps the best by a criterion that "
           "penalises complexity.",
    "independence": "Assumes being recorded by one agency says nothing about being recorded "
                    "by another. Usually too simple.",
    "dga": "Averages over many models of how agencies' lists depend on each other, weighted "
           "by how well each fits (Madigan and York 1997).",
    "lcmcr": "Allows groups of victims who are easier or harder to find, without saying in "
             "advance what the groups are (Manrique-Vallier 2016).",
    "bayes-loglinear": "Lets every pair of agencies overlap, shrinking the overlaps the data "
                       "do not support.",
    "M0": "Assumes every agency is equally likely to record every victim. Usually too simple.",
    "Mt": "Agencies differ in how likely they are to record a victim; each records "
          "independently of the others.",
}
#: Rcapture's heterogeneity models, by name prefix.
PREFIX_NOTES = {
    "Mth": "Agencies differ, and some victims are easier to find than others for every "
           "agency (heterogeneity); the name says the form assumed.",
    "Mh": "Some victims are easier to find than others for every agency (heterogeneity); "
          "the name says the form assumed.",
}

GUIDE = """
**Reading these figures**

- *Recorded* victims are people on at least one agency's list: a count.
- *Estimated* victims add those on no list, estimated from how the lists overlap:
  if agencies rarely record the same people, many must be recorded by none.
- The *interval* is the range of values consistent with the data under the method's
  assumptions (95% unless stated).
- When methods disagree by more than their intervals, the assumptions matter more than
  chance: read the range across methods as part of the uncertainty.
"""


def method_note(name: str) -> str:
    """What a method assumes, in a sentence."""
    if name in NOTES:
        return NOTES[name]
    # No registry import here: policymakers' pages must not pay for loading PyMC.
    return next((note for prefix, note in PREFIX_NOTES.items() if name.startswith(prefix)), "")
