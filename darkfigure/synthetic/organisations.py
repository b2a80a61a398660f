"""The organisations of the synthetic nation and the force areas victims are exploited in.

Organisations come from the product's register (``data/reference/organisations.csv``
through :mod:`collection.reference`), so synthetic returns carry the codes intake
knows: every police force, one local authority per region, the main NGOs, the
government organisations, the NCA and the helpline (about 65 in all).
"""

from __future__ import annotations

from dataclasses import dataclass

from collection.reference import organisations as register

#: The six source categories of the UK convention (DESIGN.md section 2).
LISTS = ("LA", "NG", "PF", "GO", "GP", "NCA")

#: Approximate resident population (millions) of each police force area, used
#: only to spread synthetic victims over areas (ONS mid-2022 estimates, rounded).
AREA_POPULATION = {
    "E23000001": 8.9, "E23000002": 0.5, "E23000003": 1.5, "E23000004": 1.4,
    "E23000005": 2.9, "E23000006": 1.1, "E23000007": 1.5, "E23000008": 0.6,
    "E23000009": 0.8, "E23000010": 2.4, "E23000011": 1.4, "E23000012": 0.9,
    "E23000013": 0.6, "E23000014": 2.9, "E23000015": 1.1, "E23000016": 1.3,
    "E23000017": 0.6, "E23000018": 1.1, "E23000019": 1.2, "E23000020": 0.8,
    "E23000021": 1.1, "E23000022": 0.8, "E23000023": 0.9, "E23000024": 0.9,
    "E23000025": 0.8, "E23000026": 0.7, "E23000027": 1.2, "E23000028": 1.9,
    "E23000029": 2.5, "E23000030": 2.0, "E23000031": 1.2, "E23000032": 1.9,
    "E23000033": 1.7, "E23000034": 0.01, "E23000035": 1.8, "E23000036": 1.8,
    "E23000037": 0.6, "E23000038": 0.7, "E23000039": 0.8, "W15000001": 0.7,
    "W15000002": 0.6, "W15000003": 1.3, "W15000004": 0.5,
}

#: Region of each force area; one local authority per region records for it.
_REGION_AREAS = {
    "London": ("E23000001", "E23000034"),
    "North West": ("E23000002", "E23000003", "E23000004", "E23000005", "E23000006"),
    "North East": ("E23000007", "E23000008", "E23000013"),
    "Yorkshire and the Humber": ("E23000009", "E23000010", "E23000011", "E23000012"),
    "West Midlands": ("E23000014", "E23000015", "E23000016", "E23000017"),
    "East Midlands": ("E23000018", "E23000019", "E23000020", "E23000021", "E23000022"),
    "East of England": ("E23000023", "E23000024", "E23000025", "E23000026", "E23000027",
                        "E23000028"),
    "South East": ("E23000029", "E23000030", "E23000031", "E23000032", "E23000033"),
    "South West": ("E23000035", "E23000036", "E23000037", "E23000038", "E23000039"),
    "Wales": ("W15000001", "W15000002", "W15000003", "W15000004"),
}
#: The local authority (register code) that records for each region; the North
#: East has none in the register and is served by its neighbour's.
_REGION_COUNCIL = {
    "London": "LA-WESTMINSTER",
    "North West": "LA-MANCHESTER",
    "North East": "LA-LEEDS",
    "Yorkshire and the Humber": "LA-LEEDS",
    "West Midlands": "LA-BIRMINGHAM",
    "East Midlands": "LA-NOTTINGHAM",
    "East of England": "LA-PETERBOROUGH",
    "South East": "LA-KENT",
    "South West": "LA-BRISTOL",
    "Wales": "LA-CARDIFF",
}
#: National partners (register code) and their share of their list's recording.
_NATIONAL_SHARE = {
    "SALVATION-ARMY": 0.45, "BARNARDOS": 0.15, "UNSEEN": 0.10, "MIGRANT-HELP": 0.12,
    "HOPE-FOR-JUSTICE": 0.10, "MEDAILLE-TRUST": 0.08,
    "BORDER-FORCE": 0.30, "UKVI": 0.40, "IMMIGRATION-ENFORCEMENT": 0.30,
    "MSEH": 1.0, "NCA": 1.0,
    # Forces that record people exploited elsewhere (transport hubs, moved across borders).
    "BTP": 0.06, "POLICE-SCOTLAND": 0.01, "NORTHERN-IRELAND": 0.01,
}


@dataclass(frozen=True)
class Organisation:
    """An organisation that submits quarterly returns.

    Attributes
    ----------
    code
        Organisation code used in file names and at intake.
    name
        Full name.
    list
        Source category (one of :data:`LISTS`).
    areas
        Force areas (ONS codes) it records for; empty for national organisations.
    share
        Share of its list's national recording (national organisations only).
    """

    code: str
    name: str
    list: str
    areas: tuple[str, ...] = ()
    share: float = 0.0


def build_organisations(areas: tuple[str, ...], *, compact: bool = False) -> list[Organisation]:
    """Every organisation that records victims exploited in ``areas``.

    From the organisation register (:func:`collection.reference.organisations`):
    the force of each area, the British Transport Police, Police Scotland and
    PSNI, the local authority of each region touched, and the national partners.

    Parameters
    ----------
    areas
        Force areas (ONS codes) of the synthetic nation.
    compact
        Keep only the largest national partner of each list and no forces
        outside ``areas`` (few organisations, for a quick demo).

    Returns
    -------
    list of Organisation
        In register order.
    """
    councils: dict[str, list[str]] = {}
    for region, region_areas in _REGION_AREAS.items():
        covered = [a for a in region_areas if a in areas]
        if covered:
            councils.setdefault(_REGION_COUNCIL[region], []).extend(covered)
    orgs: list[Organisation] = []
    for code, reg in register().items():
        if reg.list_code == "PF" and reg.home_force_area in areas:
            orgs.append(Organisation(code, reg.name, "PF", (reg.home_force_area,)))
        elif code in councils:
            orgs.append(Organisation(code, reg.name, "LA", tuple(sorted(councils[code]))))
        elif code in _NATIONAL_SHARE:
            orgs.append(Organisation(code, reg.name, reg.list_code, (), _NATIONAL_SHARE[code]))
    if compact:
        largest: dict[str, Organisation] = {}
        for org in orgs:
            if not org.areas and org.list != "PF" and org.share > largest.get(
                org.list, Organisation("", "", "")
            ).share:
                largest[org.list] = org
        orgs = [o for o in orgs if o.areas or largest.get(o.list) is o]
    return orgs


def default_areas(n_areas: int | None = None) -> tuple[str, ...]:
    """The ``n_areas`` most populous force areas (all 43 in England and Wales by default)."""
    ranked = sorted(AREA_POPULATION, key=lambda a: (-AREA_POPULATION[a], a))
    chosen = ranked if n_areas is None else ranked[: max(1, n_areas)]
    return tuple(sorted(chosen))
