"""Charts for the dashboard: pure functions from DataFrames to Altair charts.

Nothing here reads the warehouse or Streamlit state, so every chart can be
built and checked in a test, and exported to PNG for download.
"""

from __future__ import annotations

from typing import TypeVar

import altair as alt
import numpy as np
import pandas as pd

#: House colours: estimate (navy), its interval (light blue), recorded (grey).
ESTIMATE = "#1d3557"
BAND = "#a8c5e6"
RECORDED = "#8d99ae"
WARNING = "#c8553d"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"

#: Any chart these functions return (what ``st.altair_chart`` accepts).
Chart = alt.Chart | alt.LayerChart
C = TypeVar("C", alt.Chart, alt.LayerChart)


def _style(chart: C, title: str | None = None) -> C:
    """Common look: title, font, no frame."""
    styled = chart.configure_view(stroke=None).configure_axis(
        labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=12, gridColor="#e9ecef"
    ).configure_legend(labelFont=FONT, titleFont=FONT, orient="bottom")
    if title:
        styled = styled.properties(title=alt.TitleParams(title, font=FONT, fontSize=15,
                                                         anchor="start"))
    return styled


def trend_chart(frame: pd.DataFrame, *, level: float = 0.95) -> Chart:
    """Estimated victims by period with the interval as a band, and recorded victims.

    Parameters
    ----------
    frame
        ``period, estimate, lower, upper, observed``, one row per period.
    level
        Interval level, for the legend.
    """
    data = frame.assign(period=frame["period"].astype(str))
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0))
    band = alt.Chart(data).mark_area(color=BAND, opacity=0.6).encode(
        x=x,
        y=alt.Y("lower:Q", title="People", axis=alt.Axis(format=",.0f")),
        y2="upper:Q",
        tooltip=_tooltip(level),
    )
    long = data.melt(
        id_vars=["period"], value_vars=["estimate", "observed"], var_name="series", value_name="n"
    )
    long["series"] = long["series"].map({"estimate": "Estimated", "observed": "Recorded"})
    lines = alt.Chart(long).mark_line(point=True, strokeWidth=2.5).encode(
        x=x,
        y=alt.Y("n:Q"),
        color=alt.Color(
            "series:N",
            title=None,
            scale=alt.Scale(domain=["Estimated", "Recorded"], range=[ESTIMATE, RECORDED]),
        ),
        strokeDash=alt.StrokeDash(
            "series:N", scale=alt.Scale(domain=["Estimated", "Recorded"], range=[[1, 0], [5, 3]]),
            legend=None,
        ),
        tooltip=[alt.Tooltip("period:O", title="Period"), alt.Tooltip("series:N", title=""),
                 alt.Tooltip("n:Q", title="People", format=",.0f")],
    )
    return _style((band + lines).properties(height=320, width="container"))


def _tooltip(level: float) -> list[alt.Tooltip]:
    pct = f"{level:.0%}"
    return [
        alt.Tooltip("period:O", title="Period"),
        alt.Tooltip("estimate:Q", title="Estimated", format=",.0f"),
        alt.Tooltip("lower:Q", title=f"{pct} interval from", format=",.0f"),
        alt.Tooltip("upper:Q", title="to", format=",.0f"),
        alt.Tooltip("observed:Q", title="Recorded", format=",.0f"),
    ]


def interval_chart(
    frame: pd.DataFrame, category: str, *, title: str | None = None, reference: float | None = None
) -> Chart:
    """Estimates with their intervals, one row per category, recorded marked beside.

    Parameters
    ----------
    frame
        ``category`` column plus ``estimate, lower, upper`` and optionally
        ``observed``; withheld (missing) rows are shown as withheld.
    category
        Column naming the rows (stratum or method).
    title
        Chart title.
    reference
        Draw a vertical rule here (e.g. the headline estimate).
    """
    data = frame.copy()
    for col in ("estimate", "lower", "upper", "observed"):
        if col in data:
            data[col] = pd.to_numeric(data[col], errors="coerce").astype(float)
    data["label"] = data[category].astype(str)
    order = data["label"].tolist()
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    shown = data[data["estimate"].notna()]
    rule = alt.Chart(shown).mark_rule(color=BAND, strokeWidth=6).encode(
        y=y, x=alt.X("lower:Q", title="People", axis=alt.Axis(format=",.0f")), x2="upper:Q",
    )
    point = alt.Chart(shown).mark_point(filled=True, size=110, color=ESTIMATE).encode(
        y=y,
        x="estimate:Q",
        tooltip=[alt.Tooltip("label:N", title=category.replace("_", " ").capitalize()),
                 alt.Tooltip("estimate:Q", title="Estimated", format=",.0f"),
                 alt.Tooltip("lower:Q", title="Interval from", format=",.0f"),
                 alt.Tooltip("upper:Q", title="to", format=",.0f")],
    )
    layers: list[alt.Chart] = [rule, point]
    if "observed" in data:
        layers.append(
            alt.Chart(shown).mark_tick(color=RECORDED, thickness=3, size=18).encode(
                y=y, x="observed:Q",
                tooltip=[alt.Tooltip("observed:Q", title="Recorded", format=",.0f")],
            )
        )
    withheld = data[data["estimate"].isna()].assign(x=0.0, text="withheld [c]")
    if len(withheld):
        layers.append(alt.Chart(withheld).mark_text(align="left", color=RECORDED, dx=4).encode(
            y=y, x="x:Q", text="text:N"))
    if reference is not None and np.isfinite(reference):
        layers.append(
            alt.Chart(pd.DataFrame({"x": [reference]})).mark_rule(
                color=ESTIMATE, strokeDash=[4, 4], opacity=0.6
            ).encode(x="x:Q")
        )
    # The height includes the axis: Streamlit fits the whole chart into it.
    height = 70 + 38 * len(order)
    return _style(alt.LayerChart(layer=layers).properties(height=height, width="container"),
                  title)


def recorded_share_chart(observed: float, estimate: float) -> Chart:
    """One bar: recorded victims beside those estimated not to be on any list."""
    data = pd.DataFrame({
        "part": ["Recorded", "Not recorded (estimated)"],
        "n": [observed, max(estimate - observed, 0.0)],
        "order": [0, 1],
    })
    bar = alt.Chart(data).mark_bar(height=34).encode(
        x=alt.X("sum(n):Q", title=None, axis=alt.Axis(format=",.0f")),
        color=alt.Color("part:N", title=None, scale=alt.Scale(
            domain=["Recorded", "Not recorded (estimated)"], range=[RECORDED, ESTIMATE])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("part:N", title=""), alt.Tooltip("n:Q", title="People",
                                                                format=",.0f")],
    )
    return _style(bar.properties(height=60, width="container"))


def overlap_heatmap(matrix: pd.DataFrame) -> Chart:
    """Heat map of a square lists x lists table of people (diagonal: on that list).

    Parameters
    ----------
    matrix
        Square frame, index and columns the list names.
    """
    order = [str(x) for x in matrix.index]
    data = pd.DataFrame({
        "list_a": np.repeat(order, len(order)),
        "list_b": np.tile(order, len(order)),
        "n": matrix.to_numpy(dtype=float).ravel(),
    })
    base = alt.Chart(data).encode(
        x=alt.X("list_b:N", title=None, sort=order, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("list_a:N", title=None, sort=order),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("n:Q", title="People", scale=alt.Scale(scheme="blues", type="symlog")),
        tooltip=[alt.Tooltip("list_a:N", title="List"), alt.Tooltip("list_b:N", title="and"),
                 alt.Tooltip("n:Q", title="People", format=",.0f")],
    )
    threshold = float(data["n"].max()) / 3 if len(data) else 0.0
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("n:Q", format=",.0f"),
        color=alt.condition(alt.datum.n > threshold, alt.value("white"), alt.value("#222")),
    )
    size = 52 * max(len(order), 1)
    return _style((cells + text).properties(width=size, height=size))


def ranking_chart(frame: pd.DataFrame, *, top: int = 20) -> Chart:
    """Sensitivity to the model: N_hat of the best models by BIC, best first.

    Parameters
    ----------
    frame
        ``rank, bic, estimate`` (and ``model``), one row per model.
    top
        How many models to show.
    """
    data = frame.nsmallest(top, "bic").copy()
    data["delta_bic"] = data["bic"] - data["bic"].min()
    chart = alt.Chart(data).mark_circle(size=90, color=ESTIMATE).encode(
        x=alt.X("delta_bic:Q", title="BIC above the best model"),
        y=alt.Y("estimate:Q", title="Estimated N", axis=alt.Axis(format=",.0f"),
                scale=alt.Scale(zero=False)),
        tooltip=[c for c in ("rank", "model") if c in data]
        + [alt.Tooltip("estimate:Q", format=",.0f"), alt.Tooltip("delta_bic:Q", format=".2f")],
    )
    return _style(chart.properties(height=280, width="container"))


def posterior_chart(draws: pd.DataFrame) -> Chart:
    """Posterior distribution of N: a histogram of draws per method.

    Parameters
    ----------
    draws
        ``method, N`` (one row per draw).
    """
    chart = alt.Chart(draws).mark_bar(opacity=0.75).encode(
        x=alt.X("N:Q", bin=alt.Bin(maxbins=60), title="N", axis=alt.Axis(format=",.0f")),
        y=alt.Y("count():Q", title="Draws", stack=None),
        color=alt.Color("method:N", title="Method"),
    )
    return _style(chart.properties(height=240, width="container"))


def submission_grid(frame: pd.DataFrame) -> Chart:
    """Which organisation submitted which quarter, coloured by status.

    Parameters
    ----------
    frame
        ``org_code, quarter, status`` (status: loaded, quarantined, missing, ...).
    """
    domain = ["loaded", "loaded with warnings", "quarantined", "missing"]
    colours = ["#2a9d8f", "#e9c46a", WARNING, "#edf2f4"]
    # Streamlit fits axis and legend into the height too.
    height = 110 + 22 * frame["org_code"].nunique()
    chart = alt.Chart(frame).mark_rect(stroke="white", strokeWidth=1.5).encode(
        x=alt.X("quarter:O", title=None, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("org_code:N", title=None, axis=alt.Axis(labelLimit=240)),
        color=alt.Color("status:N", title="Return", scale=alt.Scale(domain=domain,
                                                                    range=colours)),
        tooltip=[c for c in ("org_code", "quarter", "status", "n_rows", "n_errors")
                 if c in frame],
    )
    return _style(chart.properties(height=height, width="container"))


def to_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    """Render a chart to PNG bytes (vl-convert, no browser needed)."""
    spec = chart.to_dict()
    # A container width has no meaning off screen: give the PNG a fixed width.
    if spec.get("width") == "container":
        spec["width"] = 720
    import vl_convert  # only when a PNG is asked for

    return bytes(vl_convert.vegalite_to_png(spec, scale=scale))
