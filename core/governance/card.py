"""The model card as Markdown, written from ``ProjectFacts`` (nothing typed by hand except the
team's limitations, which are stored). Sections follow Mitchell et al., "Model Cards for
Model Reporting" (2019): intended use, data, training, evaluation with confidence
intervals, slices and sensitive groups, humans as reference, rollout, monitoring,
approvals, limitations."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from core.governance.facts import ProjectFacts
from core.scoping import AUTOMATION, BASELINE_KINDS
from core.training.metrics import label as mlabel

NA = "not available"


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def _cell(v: Any) -> str:
    return _fmt(v).replace("|", "\\|").replace("\n", " ")


def md_table(frame: pd.DataFrame) -> list[str]:
    """A DataFrame as a Markdown table (numbers with 3 decimals, '—' for missing).

    >>> md_table(pd.DataFrame({"a": [1.0], "b": ["x|y"]}))
    ['| a | b |', '| --- | --- |', '| 1.000 | x\\\\|y |']
    """
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return lines


def _missing(f: ProjectFacts, part: str) -> list[str]:
    return [f"_{NA.capitalize()}: {f.missing.get(part, 'nothing stored')}._", ""]


def _intended_use(f: ProjectFacts) -> list[str]:
    out = ["## Intended use", ""]
    if f.brief is None:
        return out + _missing(f, "brief")
    b, c = f.brief.brief, f.brief.brief.contract
    out += [f"- **Business problem:** {b.problem or '—'}",
            f"- **Decision supported:** {b.decision or '—'}",
            f"- **Degree of automation:** {AUTOMATION.get(b.automation, '—') or '—'}",
            f"- **f(x) = y:** x = {b.x_description or ', '.join(c.feature_columns) or '—'}; "
            f"y = {b.y_description or c.target_column or '—'}"
            + (f" (target column `{c.target_column}`, positive class `{c.positive_class}`)"
               if c.target_column else ""),
            f"- **Brief:** version {f.brief.version}, saved {f.brief.created_at:%Y-%m-%d} by "
            f"{f.brief.created_by}", ""]
    if b.affected_groups or b.bias_risks:
        out += [f"- **Affected groups:** {b.affected_groups or '—'}",
                f"- **Bias risks:** {b.bias_risks or '—'}", ""]
    return out


def _data(f: ProjectFacts) -> list[str]:
    out = ["## Data versions and their quality", ""]
    if f.datasets.empty:
        return out + ["_No dataset is stored._", ""]
    out += md_table(f.datasets.drop(columns=["created"], errors="ignore"))
    out += ["", "A data version is the content hash of the rows; `quality issues` counts the "
            "findings of the stored quality report (— when no report was run).", ""]
    return out


def _training(f: ProjectFacts) -> list[str]:
    out = ["## Training recipe", ""]
    run = f.model.get("run")
    if run is None:
        return out + _missing(f, "model")
    version = f"version {f.model['version']} ({f.model['alias']})" if f.model["version"] \
        else f.model["alias"]
    out += [f"- **Model:** {run.model_kind}, {version}, run #{run.id} “{run.name}”",
            f"- **Trained on:** data version `{run.dataset_hash}`, split `{run.split_hash}`, "
            f"{_fmt(run.n_train)} training rows, seed {run.seed}",
            f"- **Target:** `{run.target}` (positive class `{run.positive_class}`)",
            f"- **Features ({len(run.features)}):** " + ", ".join(f"`{c}`" for c in run.features),
            "- **Preprocessing:** " + ", ".join(f"{k} = {v}" for k, v in run.preprocessing.items()),
            "- **Hyperparameters:** " + ", ".join(f"{k} = {v}" for k, v in run.params.items()),
            "- **Libraries:** " + ", ".join(f"{k} {v}" for k, v in run.library_versions.items()),
            f"- **Model file:** SHA-256 `{run.artifact_sha256}`", ""]
    return out


def _metrics(f: ProjectFacts) -> list[str]:
    out = ["## Metrics on the test part, against baselines and targets", ""]
    if f.metrics.empty:
        return out + _missing(f, "model")
    m = f.metrics
    cols = {"label": "metric", "this run": "model", "low": "95% CI low", "high": "95% CI high",
            "dummy baseline": "dummy baseline"}
    cols |= {f"baseline: {k}": v for k, v in BASELINE_KINDS.items() if f"baseline: {k}" in m}
    cols |= {"target": "target", "verdict": "verdict"}
    shown = m[[c for c in cols if c in m]].rename(columns=cols)
    out += md_table(shown)
    methods = sorted({str(x) for x in m.get("method", pd.Series(dtype=str)).dropna()})
    out += ["", "Confidence intervals: " + ("; ".join(
        f"{meth} ({', '.join(m.loc[m['method'] == meth, 'label'])})" for meth in methods)
        if methods else NA) + ". Proportions use the Wilson score interval on their own "
        "denominator; other metrics a percentile bootstrap of the test rows (seed 0).", ""]
    return out


def _slices(f: ProjectFacts) -> list[str]:
    out = ["## Where it fails: slices and sensitive columns", ""]
    if f.slices.empty:
        return out + _missing(f, "slices")
    out += [f"Metric per slice: {mlabel(f.slice_metric)} (overall {_fmt(f.slice_overall)}); "
            "the slices with the highest priority (gap × share of rows) on the test part:", ""]
    keep = ["column", "value", "size", "share", f.slice_metric, "gap_to_overall", "hlp",
            "gap_to_hlp", "priority"]
    out += md_table(f.slices[[c for c in keep if c in f.slices]])
    out.append("")
    if not f.fairness.empty:
        out += ["Sensitive columns (worst / best slice; 1 = parity, below 0.8 deserves a "
                "look):", ""]
        out += md_table(f.fairness)
        out.append("")
    return out


def _labels(f: ProjectFacts) -> list[str]:
    out = ["## Label agreement and human-level performance", ""]
    if not f.labels:
        out += _missing(f, "labels")
    else:
        lab = f.labels
        out += [f"- **Labels set:** {lab['set']}: {lab['n_items']:,} items, "
                f"{lab['n_annotators']} annotators",
                f"- **Agreement:** observed {_fmt(lab['observed'])}, Fleiss' κ "
                f"{_fmt(lab['fleiss_kappa'])}, Krippendorff's α {_fmt(lab['krippendorff_alpha'])}",
                f"- **Human-level performance:** mean annotator accuracy {_fmt(lab['hlp'])} "
                f"against {lab['hlp_reference']}", ""]
        out += md_table(lab["per_annotator"])
        out.append("")
    hlp = f.brief.brief.contract.hlp if f.brief else None
    if hlp is not None:
        out += [f"The brief's human-level baseline: {hlp.metric} {_fmt(hlp.value)} "
                f"({hlp.source}).", ""]
    return out


def _rollout(f: ProjectFacts) -> list[str]:
    out = ["## Rollout rehearsals", ""]
    if not f.rehearsals:
        return out + _missing(f, "rehearsals")
    for r in f.rehearsals:
        figures = "; ".join(f"{k} {v}" for k, v in r["metrics"])
        out.append(f"- **{r['name']}** ({r['pattern']}): **{r['decision']}**. {figures}."
                   + (f" {r['story']}" if r["story"] else ""))
    return out + [""]


def _monitoring(f: ProjectFacts) -> list[str]:
    out = ["## Monitoring status", ""]
    if not f.monitoring:
        return out + _missing(f, "monitoring")
    mon = f.monitoring
    out += [f"Status: **{mon['status']}** — {mon['evidence']}", ""]
    alerts = mon["alerts"]
    if len(alerts):
        out += md_table(alerts[["window_label", "severity", "policy", "status", "message"]]
                        .rename(columns={"window_label": "window"}))
        out.append("")
    return out


def _approvals(f: ProjectFacts) -> list[str]:
    out = ["## Approvals", ""]
    for g in f.approvals:
        out.append(f"- **{g.label}:** {g.sentence()}" + (f" — “{g.comment}”" if g.comment else ""))
    return out + [""]


def _limitations(f: ProjectFacts) -> list[str]:
    out = ["## Limitations (written by the team)", ""]
    if f.limitations is None:
        return out + ["_None recorded yet: the team writes them on the Overview._", ""]
    lim = f.limitations
    return out + [lim.text, "", f"_Version {lim.version}, saved {lim.saved_at:%Y-%m-%d} by "
                  f"{lim.saved_by}._", ""]


_SECTIONS = (_intended_use, _data, _training, _metrics, _slices, _labels, _rollout,
             _monitoring, _approvals, _limitations)


def model_card(f: ProjectFacts) -> str:
    """The model card of a project as Markdown."""
    lines = [f"# Model card: {f.project.name}", "",
             f"> Generated {f.generated_at:%Y-%m-%d %H:%M} UTC from the workbench's stored "
             "results. Every number below can be traced to a stored run, dataset or "
             "rehearsal.", ""]
    for section in _SECTIONS:
        lines += section(f)
    return "\n".join(lines).rstrip() + "\n"


def card_filename(project_name: str) -> str:
    """The download name of a project's model card.

    >>> card_filename("Claims triage (demo)")
    'claims_triage_demo_model_card.md'
    """
    slug = re.sub(r"[^A-Za-z0-9]+", "_", project_name).strip("_").lower() or "project"
    return f"{slug}_model_card.md"
