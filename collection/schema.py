"""The quarterly return: one schema definition from which templates, parsing and
validation are all generated.

One row per potential victim that the organisation encountered in the quarter
(DESIGN.md section 4).  Identity fields (``identity=True``) never reach the
warehouse in clear: at intake they become keyed-hash match keys.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = "1.0"

#: Code lists, versioned with the schema.  Nationality (ISO 3166-1 alpha-3) and
#: force areas are loaded from data/reference by :mod:`collection.reference`.
SEX_CODES = ("female", "male", "other", "unknown")
AGE_GROUPS = ("adult", "child", "unknown")
EXPLOITATION_TYPES = (
    "labour",
    "sexual",
    "domestic_servitude",
    "criminal",
    "organ_harvesting",
    "unknown",
)
NRM_CODES = ("yes", "no", "unknown")
#: Several exploitation types in one cell are separated by this character.
MULTI_SEPARATOR = ";"


@dataclass(frozen=True)
class Field:
    """One column of the return.

    Attributes
    ----------
    name
        Column header in the template.
    label
        Human label for the instructions sheet.
    kind
        ``text``, ``date``, ``integer``, ``code`` (one of ``codes``) or ``codes``
        (several of ``codes`` separated by :data:`MULTI_SEPARATOR`).
    required
        Whether every row must give a value.
    identity
        Identity field: pseudonymised at intake, never stored or logged in clear.
    codes
        Allowed values for ``code``/``codes`` fields (a code-list name for the
        long lists held in data/reference: ``"nationality"``, ``"force_area"``).
    description
        What to put in the column, for the instructions sheet.
    example
        An example value.
    """

    name: str
    label: str
    kind: str
    required: bool
    identity: bool = False
    codes: tuple[str, ...] | str = ()
    description: str = ""
    example: str = ""


FIELDS: tuple[Field, ...] = (
    Field("record_ref", "Record reference", "text", True,
          description="Your organisation's own reference for this record; unique in your returns.",
          example="AVS-2025-000123"),
    Field("first_encountered", "Date first encountered", "date", True,
          description="Date your organisation first encountered the person in this quarter "
                      "(YYYY-MM-DD or DD/MM/YYYY).",
          example="2025-08-14"),
    Field("given_name", "Given name(s)", "text", False, identity=True,
          description="Given name(s) as recorded, in any script.", example="Maria"),
    Field("family_name", "Family name", "text", False, identity=True,
          description="Family name as recorded, in any script.", example="Popescu"),
    Field("date_of_birth", "Date of birth", "date", False, identity=True,
          description="Date of birth if known (YYYY-MM-DD or DD/MM/YYYY).", example="1994-03-02"),
    Field("estimated_age", "Estimated age", "integer", False,
          description="Age in years at first encounter if the date of birth is not known.",
          example="31"),
    Field("sex", "Sex", "code", True, codes=SEX_CODES,
          description="One of: " + ", ".join(SEX_CODES) + ".", example="female"),
    Field("nationality", "Nationality", "code", True, codes="nationality",
          description="ISO 3166-1 alpha-3 code (GBR, ALB, VNM, ...); UNK if not known.",
          example="ROU"),
    Field("exploitation_types", "Exploitation type(s)", "codes", True, codes=EXPLOITATION_TYPES,
          description="One or more of: " + ", ".join(EXPLOITATION_TYPES)
                      + f", separated by '{MULTI_SEPARATOR}'.",
          example="labour;criminal"),
    Field("age_group", "Age group at exploitation", "code", True, codes=AGE_GROUPS,
          description="adult (18 or over when exploited), child, or unknown.", example="adult"),
    Field("force_area", "Police force area of exploitation", "code", True, codes="force_area",
          description="ONS police force area code (E23000001...) or a code from the force list; "
                      "UNKNOWN if not known.",
          example="E23000036"),
    Field("nrm_referred", "Referred to the NRM", "code", True, codes=NRM_CODES,
          description="Whether the person was referred to the National Referral Mechanism.",
          example="yes"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
IDENTITY_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.identity)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)


def field(name: str) -> Field:
    """The :class:`Field` called ``name``."""
    for f in FIELDS:
        if f.name == name:
            return f
    raise KeyError(f"no field '{name}' in return schema {SCHEMA_VERSION}")
