"""The Scoping page's brief form: widgets keyed "scoping.<field>", loaded from a saved version.

The widgets carry no ``value=``: ``load_state`` writes a version's values into session state
before the form is drawn, once per (project, version), so edits survive reruns and a new
version (saved, imported, restored) replaces them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from core import scoping as sc
from core.scoping import (
    AUTOMATION,
    BASELINE_KINDS,
    CONTRACT_NUMBER_LABELS,
    GOVERNANCE_ITEMS,
    GOVERNANCE_STATUS,
    METRIC_LABELS,
    METRICS,
    TASK_TYPES,
    Baseline,
    Brief,
    BriefVersion,
    Contract,
    GovernanceItem,
    MetricFloor,
    MetricTarget,
    Milestone,
)

K = "scoping."
N_SECONDARY = 4
LOADED = K + "loaded"
_NUMBERS = ("business_current", "business_target", *CONTRACT_NUMBER_LABELS)


def _milestones_key(marker: tuple) -> str:
    return f"{K}milestones.{marker[0]}.{marker[1]}"


# -------------------------------------------------------------------- state
def load_state(brief: Brief, marker: tuple[int, int]) -> None:
    """Write a brief into the widgets' state when (project, version) changed, or when
    Streamlit dropped the widgets' state (a run of another page does not draw them: coming
    back, the form would be empty and "save" would store an empty brief)."""
    ss = st.session_state
    if ss.get(LOADED) == marker and K + "task_type" in ss:
        return
    c = brief.contract
    for name in sc.TEXT_FIELDS:
        ss[K + name] = getattr(brief, name)
    for name in ("business_metric", "business_unit", "currency", "automation"):
        ss[K + name] = getattr(brief, name)
    for name in _NUMBERS:
        obj = brief if name.startswith("business") else c
        v = getattr(obj, name)
        ss[K + name] = None if v is None else float(v)
    ss[K + "task_type"] = c.task_type
    ss[K + "target_column"] = c.target_column
    ss[K + "positive_class"] = c.positive_class or ""
    ss[K + "feature_columns"] = list(c.feature_columns)
    ss[K + "sensitive_columns"] = list(c.sensitive_columns)
    ss[K + "primary_metric"] = c.primary.name if c.primary else None
    ss[K + "primary_target"] = float(c.primary.target) if c.primary else None
    for i in range(N_SECONDARY):
        f = c.secondary[i] if i < len(c.secondary) else None
        ss[f"{K}secondary_metric_{i}"] = f.name if f else None
        ss[f"{K}secondary_floor_{i}"] = float(f.floor) if f else None
    for kind in BASELINE_KINDS:
        b = c.baselines.get(kind)
        ss[f"{K}baseline_{kind}_value"] = None if b is None or b.value is None else float(b.value)
        ss[f"{K}baseline_{kind}_metric"] = b.metric if b and b.metric in METRICS else None
        ss[f"{K}baseline_{kind}_source"] = b.source if b else ""
    for key in GOVERNANCE_ITEMS:
        g = brief.governance.get(key, GovernanceItem())
        ss[f"{K}gov_{key}_status"] = g.status
        ss[f"{K}gov_{key}_note"] = g.note
    ss[K + "require_approvals"] = bool(brief.require_approvals)
    ss[K + "note"] = ""
    for key in (K + "diff_a", K + "diff_b"):  # a new version: compare it with the one before
        ss.pop(key, None)
    ss[LOADED] = marker


def _edited_milestones(base: list[Milestone], marker: tuple) -> list[Milestone]:
    """Apply the data editor's edits (edited/added/deleted rows) to the loaded milestones."""
    rows = [{"name": m.name, "due": m.due, "owner": m.owner, "done": m.done} for m in base]
    edits = st.session_state.get(_milestones_key(marker)) or {}
    for idx, change in (edits.get("edited_rows") or {}).items():
        rows[int(idx)].update(change)
    rows += [
        {"name": "", "due": None, "owner": "", "done": False} | r
        for r in edits.get("added_rows") or []
    ]
    deleted = {int(i) for i in edits.get("deleted_rows") or []}
    out = []
    for i, r in enumerate(rows):
        if i in deleted:
            continue
        due = r.get("due")
        out.append(
            Milestone(
                str(r.get("name") or ""),
                None if due is None or pd.isna(due) else sc.parse_date(due),
                str(r.get("owner") or ""),
                bool(r.get("done")),
            )
        )
    return out


def brief_from_state(base: Brief, marker: tuple[int, int]) -> Brief:
    """The brief as the widgets now hold it."""
    ss = st.session_state

    def g(name: str) -> Any:
        return ss.get(K + name)

    primary = None
    if g("primary_metric") and g("primary_target") is not None:
        primary = MetricTarget(g("primary_metric"), float(g("primary_target")))
    secondary = [
        MetricFloor(g(f"secondary_metric_{i}"), float(g(f"secondary_floor_{i}")))
        for i in range(N_SECONDARY)
        if g(f"secondary_metric_{i}") and g(f"secondary_floor_{i}") is not None
    ]
    baselines = {
        kind: Baseline(
            kind,
            g(f"baseline_{kind}_value"),
            g(f"baseline_{kind}_metric") or "",
            g(f"baseline_{kind}_source") or "",
        )
        for kind in BASELINE_KINDS
    }
    contract = Contract(
        task_type=g("task_type"),
        target_column=g("target_column"),
        positive_class=g("positive_class"),
        feature_columns=list(g("feature_columns") or []),
        primary=primary,
        secondary=secondary,
        sensitive_columns=list(g("sensitive_columns") or []),
        baselines=baselines,
        **{n: g(n) for n in _NUMBERS if not n.startswith("business")},
    )
    return Brief(
        **{n: g(n) or "" for n in sc.TEXT_FIELDS},
        automation=g("automation") or "",
        business_metric=g("business_metric") or "",
        business_unit=g("business_unit") or "",
        business_current=g("business_current"),
        business_target=g("business_target"),
        currency=g("currency") or "",
        governance={
            k: GovernanceItem(g(f"gov_{k}_status") or "open", g(f"gov_{k}_note") or "")
            for k in GOVERNANCE_ITEMS
        },
        require_approvals=bool(g("require_approvals")),
        milestones=_edited_milestones(base.milestones, marker),
        contract=contract,
    )


# ------------------------------------------------------------------ widgets
@dataclass
class _Form:
    """What the sections of the form share: error placeholders, column choices, milestones."""

    options: list[str]
    milestones: list[Milestone]
    marker: tuple[int, int]
    slots: dict[str, Any] = field(default_factory=dict)

    def slot(self, key: str) -> None:
        """A placeholder under the last widget, where the errors of ``key`` are shown."""
        self.slots[key] = st.empty()


def _num(label: str, key: str, help: str, step: float = 0.01) -> None:
    st.number_input(label, key=K + key, value=None, step=step, format="%g", help=help)


def _numbers(
    form: _Form, columns: list[Any], fields: tuple[tuple[str, str, str, float], ...]
) -> None:
    """Number inputs side by side, each (label, key, help, step) with its error placeholder."""
    for col, (label, key, help, step) in zip(columns, fields, strict=True):
        with col:
            _num(label, key, help, step)
            form.slot(key)


def _text(label: str, name: str, help: str, height: int = 70) -> None:
    st.text_area(label, key=K + name, height=height, help=help)


def _metric_select(label: str, key: str, help: str | None = None) -> None:
    st.selectbox(
        label,
        list(METRICS),
        key=key,
        index=None,
        format_func=METRIC_LABELS.__getitem__,
        placeholder="Choose a metric",
        help=help,
    )


# (label, key, help, step) of the numbers drawn side by side
_COSTS = (
    (
        "Cost of a false positive",
        "cost_fp",
        "What one needless action costs (e.g. an investigation that finds nothing).",
        1.0,
    ),
    (
        "Cost of a false negative",
        "cost_fn",
        "What one missed case costs (e.g. a fraudulent claim paid).",
        1.0,
    ),
)
_BUDGETS = (
    ("p95 latency (ms)", "p95_latency_ms", "95% of requests answered within.", 10.0),
    ("Throughput (requests/s)", "min_throughput_rps", "Peak load to sustain.", 1.0),
    ("Availability (share)", "min_availability", "e.g. 0.995 for 99.5%.", 0.001),
    (
        "Error budget (share)",
        "error_budget",
        "The largest share of wrong decisions the service may serve.",
        0.01,
    ),
)


# ----------------------------------------------------------------- sections
def _problem(form: _Form) -> None:
    _text(
        "Business problem",
        "problem",
        "Who has the problem, what it costs today, and why now. Good: 'Adjusters review "
        "every claim by hand; honest customers wait 5 days.'",
        height=100,
    )
    _text(
        "Decision automated or supported",
        "decision",
        "The one decision the model informs, and who acts on its output.",
        height=80,
    )
    st.selectbox(
        "Degree of automation",
        list(AUTOMATION),
        key=K + "automation",
        format_func=AUTOMATION.__getitem__,
        help="Complement: people decide with the model's advice. Supplement: the "
        "model takes the clear cases. New process: nobody decides this today.",
    )


def _economics(form: _Form) -> None:
    st.markdown("**Economic value**")
    a, b, c, d = st.columns(4)
    a.text_input(
        "Business metric",
        key=K + "business_metric",
        help="What the business measures, e.g. cost per decision, revenue, hours saved.",
    )
    b.text_input("Unit", key=K + "business_unit", help="e.g. EUR per claim")
    with c:
        _num("Current value", "business_current", "Today's value, measured, not guessed.")
    with d:
        _num("Target value", "business_target", "The value that makes the project worth it.")
    a, *costs = st.columns(3)
    a.text_input("Currency", key=K + "currency", help="Currency of the costs below.")
    _numbers(form, costs, _COSTS)
    form.slot("business_current")
    form.slot("business_target")


def _fx(form: _Form) -> None:
    a, b, c = st.columns(3)
    with a:
        st.selectbox(
            "Task type",
            list(TASK_TYPES),
            key=K + "task_type",
            format_func=TASK_TYPES.__getitem__,
            help="What kind of y the model predicts.",
        )
        form.slot("task_type")
    with b:
        st.selectbox(
            "Target column (y)",
            form.options,
            key=K + "target_column",
            index=None,
            placeholder="Choose a column" if form.options else "Load a dataset first",
            help="The column holding the outcome to predict.",
        )
        form.slot("target_column")
    c.text_input(
        "Positive class",
        key=K + "positive_class",
        help="For binary tasks: the value of y the model flags, e.g. 1.",
    )
    st.multiselect(
        "Input columns (x)",
        form.options,
        key=K + "feature_columns",
        help="Only what is known at decision time; never the outcome or anything recorded "
        "after it (leakage).",
    )
    form.slot("feature_columns")
    a, b = st.columns(2)
    with a:
        _text("What x is", "x_description", "The inputs in words, and when each becomes known.", 80)
    with b:
        _text(
            "What y is",
            "y_description",
            "How the outcome is defined and when it arrives (label delay).",
            80,
        )


def _ml_metrics(form: _Form) -> None:
    st.markdown(
        "**ML metrics**: the primary metric decides; secondary metrics must not "
        "fall below their floors (for lower-is-better metrics the floor is a ceiling)."
    )
    a, b = st.columns(2)
    with a:
        _metric_select(
            "Primary metric",
            K + "primary_metric",
            "The one number a model is judged by; tie it to the business cost.",
        )
    with b:
        _num("Primary target", "primary_target", "The value a model must reach to ship.")
    form.slot("primary")
    for i, col in enumerate(st.columns(N_SECONDARY)):
        with col:
            _metric_select(f"Secondary metric {i + 1}", f"{K}secondary_metric_{i}")
            _num(f"Floor {i + 1}", f"secondary_floor_{i}", "The worst acceptable value.")
    form.slot("secondary")


def _software_metrics(form: _Form) -> None:
    st.markdown("**Software metrics** the service must meet")
    _numbers(form, st.columns(len(_BUDGETS)), _BUDGETS)


def _baselines(form: _Form) -> None:
    st.caption(
        "Each baseline with its value, the metric it is in and where it came from. "
        "Human-level performance can also be measured on the Labeling page."
    )
    for kind, label in BASELINE_KINDS.items():
        a, b, c = st.columns([1, 1, 2])
        with a:
            _num(label, f"baseline_{kind}_value", "Its value in the chosen metric.")
        with b:
            _metric_select("Metric", f"{K}baseline_{kind}_metric")
        c.text_input(
            "Source",
            key=f"{K}baseline_{kind}_source",
            help="Where the number comes from: a study, an audit, a paper.",
        )
        form.slot(f"baseline_{kind}")
    form.slot("baselines")


def _feasibility(form: _Form) -> None:
    _text("Data available?", "feasibility_data", "Which data exist, how much, labelled by whom.")
    _text(
        "Predictive signal?",
        "feasibility_signal",
        "Evidence that x predicts y: a quick model, HLP, published work.",
    )
    _text(
        "Diligence",
        "diligence",
        "Technical and value diligence: can it be built, and is it worth it?",
    )


def _ethics(form: _Form) -> None:
    st.multiselect(
        "Sensitive columns",
        form.options,
        key=K + "sensitive_columns",
        help="Columns whose slices error analysis must check (age, gender, region ...), "
        "even when they are not inputs.",
    )
    form.slot("sensitive_columns")
    _text(
        "Affected groups",
        "affected_groups",
        "Who is affected by the decisions, directly or indirectly.",
    )
    _text(
        "Bias risks",
        "bias_risks",
        "How the model could treat groups unfairly, and how it is checked.",
    )


def _governance(form: _Form) -> None:
    st.markdown("**Governance and regulation**")
    st.checkbox(
        "Approvals required before promotion", key=f"{K}require_approvals",
        help="A model becomes champion only when the brief, its data version and the model "
        "itself have valid approvals (recorded on the Overview).",
    )
    for key, (label, help_text) in GOVERNANCE_ITEMS.items():
        a, b = st.columns([1, 3])
        a.selectbox(label, GOVERNANCE_STATUS, key=f"{K}gov_{key}_status", help=help_text)
        b.text_input(f"{label}: note", key=f"{K}gov_{key}_note")


def _milestones(form: _Form) -> None:
    st.data_editor(
        milestones_frame(form.milestones),
        key=_milestones_key(form.marker),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Milestone", required=True),
            "due": st.column_config.DateColumn("Due"),
            "owner": st.column_config.TextColumn("Owner"),
            "done": st.column_config.CheckboxColumn("Done"),
        },
    )
    form.slot("milestones")
    _text("Resources", "resources", "People, compute and budget, and for how long.")


# the form's tabs and the sections each draws, in order
_TABS: tuple[tuple[str, tuple[Callable[[_Form], None], ...]], ...] = (
    ("Problem and value", (_problem, _economics)),
    ("f(x) = y and metrics", (_fx, _ml_metrics, _software_metrics)),
    ("Baselines and feasibility", (_baselines, _feasibility)),
    ("Ethics and governance", (_ethics, _governance)),
    ("Milestones", (_milestones,)),
)


def _column_options(columns: list[str]) -> list[str]:
    """The dataset columns, plus any saved earlier that has gone (so validation names it)."""
    ss = st.session_state
    chosen = {*ss.get(K + "feature_columns", []), *ss.get(K + "sensitive_columns", [])}
    if ss.get(K + "target_column"):
        chosen.add(ss[K + "target_column"])
    return list(dict.fromkeys([*columns, *sorted(chosen - set(columns))]))


def brief_form(columns: list[str], brief: Brief, marker: tuple[int, int]) -> dict[str, Any]:
    """Draw the brief's fields (inside a form); returns a placeholder per error key."""
    form = _Form(_column_options(columns), brief.milestones, marker)
    for tab, (_, sections) in zip(st.tabs([name for name, _ in _TABS]), _TABS, strict=True):
        with tab:
            for section in sections:
                section(form)
    return form.slots


def milestones_frame(milestones: list[Milestone]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": pd.Series([m.name for m in milestones], dtype="object"),
            "due": pd.to_datetime(pd.Series([m.due for m in milestones], dtype="object")),
            "owner": pd.Series([m.owner for m in milestones], dtype="object"),
            "done": pd.Series([m.done for m in milestones], dtype="bool"),
        }
    )


def show_errors(errors: dict[str, list[str]], slots: dict[str, Any]) -> None:
    """Each message under its field; the rest (no field on the form) in one box here."""
    rest = []
    for key, msgs in errors.items():
        if key in slots:
            slots[key].error("  \n".join(msgs), icon=":material/error:")
        else:
            rest += msgs
    if rest:
        st.error("  \n".join(rest))


# ---------------------------------------------------------------- readiness
def readiness_box(current: BriefVersion | None, missing: list[str], brief: Brief) -> None:
    """Whether the brief is ready for a go decision, what is missing, and its contract."""
    with st.container(border=True):
        head, meta = st.columns([3, 2])
        if current is None:
            head.markdown("### :gray[○ No brief yet]")
        elif missing:
            head.markdown(
                f"### :orange[◐ Not ready for a go decision: {len(missing)} item(s) missing]"
            )
        else:
            head.markdown("### :green[● Ready for a go decision]")
        if current:
            meta.caption(
                f"Version {current.version}, saved {current.created_at:%Y-%m-%d %H:%M} UTC "
                f"by {current.created_by}" + (f": {current.note}" if current.note else "")
            )
        for item in missing:
            st.markdown(f"- {item}")
        for note in sc.advisories(brief):
            st.caption(f":material/lightbulb: {note}")
        if current:
            with st.expander("The contract later stages check", icon=":material/gavel:"):
                st.dataframe(sc.contract_frame(current.brief.contract), hide_index=True)
