"""The guided tour for demos: the project's story as stops, one per page, each saying what
to look at there with the project's own numbers (read from ``ProjectFacts``, so the same
tour tells any project's story; nothing here knows the demo)."""

from __future__ import annotations

from dataclasses import dataclass

from core.analysis import group_name
from core.governance.facts import ProjectFacts, num
from core.training.metrics import label as mlabel


@dataclass(frozen=True)
class TourStop:
    """One stop: ``key`` picks what the tour shows, ``page`` is the workbench page it stands
    for, ``look_at`` what to look at there."""

    key: str
    page: str
    title: str
    look_at: str


def _scope(f: ProjectFacts) -> str:
    if f.brief is None:
        return "No brief is written yet: this is where the team writes down f(x) = y and its targets."
    c = f.brief.brief.contract
    target = (f"{mlabel(c.primary.name)} of at least {num(c.primary.target)}" if c.primary
              else "no primary target yet")
    return (f"The brief (version {f.brief.version}) states the problem, what the model sees (x) "
            f"and predicts (y), and the contract every later page checks: {target}. Look at the "
            "baselines: what people and the current process achieve.")


def _data(f: ProjectFacts) -> str:
    if f.datasets.empty:
        return "No data yet."
    return (f"{len(f.datasets)} dataset(s), each with a data version (a content hash of its "
            "rows), so every result below names exactly which data it came from.")


def _labels(f: ProjectFacts) -> str:
    if not f.labels:
        return "No annotators' labels are stored: human-level performance comes from the brief."
    lab = f.labels
    return (f"{lab['n_annotators']} reviewers labelled {lab['n_items']:,} items. They agree on "
            f"{num(100 * (lab['observed'] or 0), 0)}% of them (Fleiss' κ "
            f"{num(lab['fleiss_kappa'])}): this is how good people are, the bar the model is "
            f"held to (human-level accuracy {num(lab['hlp'])}).")


def _training(f: ProjectFacts) -> str:
    run = f.model.get("run")
    if run is None or f.metrics.empty:
        return "No model is trained yet."
    c = f.brief.brief.contract if f.brief else None
    m = f.metrics.set_index("metric")
    if c is not None and c.primary is not None and c.primary.name in m.index:
        row = m.loc[c.primary.name]
        verdict = "meets" if row["verdict"] == "pass" else "misses"
        head = (f"The model's {mlabel(c.primary.name)} on unseen test cases is "
                f"{num(row['this run'])} (95% interval "
                f"{num(row.get('low'))}–{num(row.get('high'))}): "
                f"it {verdict} the target of {num(c.primary.target)}.")
    else:
        head = "Compare the model with the dummy baseline and the targets."
    return head + " Each bar's marker shows what people, the current process and a dummy reach."


def _slices(f: ProjectFacts) -> str:
    if f.slices.empty:
        return "No slice analysis is available yet."
    top = f.slices.iloc[0]
    group = group_name(top["column"], top["value"])
    text = (f"Not every group of cases is served equally: the top-priority group is "
            f"{group} ({num(100 * top['share'], 0)}% of cases), with "
            f"{mlabel(f.slice_metric)} {num(top[f.slice_metric])} against {num(f.slice_overall)} "
            "overall.")
    if not f.fairness.empty:
        worst = f.fairness.sort_values("ratio").iloc[0]
        text += (f" On the sensitive column {worst['column']}, the weakest group reaches "
                 f"{num(100 * worst['ratio'], 0)}% of the best group's value.")
    return text


def _deploy(f: ProjectFacts) -> str:
    if not f.rehearsals:
        return "No rollout was rehearsed yet."
    verdicts = ", ".join(f"{r['name']}: {r['decision']}" for r in f.rehearsals)
    return (f"The rollout was rehearsed on recorded traffic before anyone was exposed — "
            f"{verdicts}. Look at the timeline: traffic share on top, guardrails below, the "
            "rollback as a red line.")


def _monitor(f: ProjectFacts) -> str:
    if not f.monitoring:
        return "Production is not monitored yet."
    mon = f.monitoring
    return (f"After the rollout, production traffic was compared with the training data: "
            f"{len(mon['alerts'])} alert(s), {mon['open']} open. Read them in time order: they "
            "tell what changed in the world and when the model started to decay.")


def _update(f: ProjectFacts) -> str:
    states = {g.label: g.status for g in f.approvals}
    approved = sum(s == "approved" for s in states.values())
    return (f"Closing the loop: a retrained challenger goes through the same checks, and "
            f"people sign off each gate ({approved} of {len(states)} gates approved now). The "
            "model card and the stakeholder report are generated from all of the above.")


_STOPS = (
    ("overview", "Overview", "The lifecycle at a glance", None),
    ("scope", "Scoping", "What problem, and what counts as good", _scope),
    ("data", "Data", "Which data, in which version", _data),
    ("labels", "Labeling", "How good are people?", _labels),
    ("training", "Training", "How good is the model?", _training),
    ("slices", "Error analysis", "Where does it fail?", _slices),
    ("deploy", "Deployment", "Rehearsing the rollout", _deploy),
    ("monitor", "Monitoring", "What changed since", _monitor),
    ("update", "Overview", "Governance and the next model", _update),
)


def tour_stops(f: ProjectFacts) -> list[TourStop]:
    """The tour of a project's story, in lifecycle order."""
    out = []
    for key, page, title, text in _STOPS:
        if text is None:
            steps = ", ".join(f"{s.step}: {s.status}" for s in f.lifecycle)
            look = (f"{f.project.name}. Each lifecycle step's status is read from what is "
                    f"stored ({steps}). The tour walks through them in order.")
        else:
            look = text(f)
        out.append(TourStop(key, page, title, look))
    return out
