"""The stakeholder report: one self-contained HTML file (plotly.js inline, no font, script or
image fetched from anywhere) and the same page printed to PDF by headless chromium.

Written for people who never open the workbench: what the model does, how good it is
against people and the current process, where it fails, how it was rolled out, what changed
since, who approved what — then the full model card as an appendix.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.analysis import group_name
from core.charts import governance as charts
from core.errors import StoreError
from core.governance.card import model_card
from core.governance.facts import ProjectFacts, num
from core.training.metrics import label as mlabel

CSS = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #222;
       max-width: 700px; margin: 24px auto; padding: 0 12px; line-height: 1.45; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 28px;
  border-bottom: 2px solid #1f77b4; padding-bottom: 3px; }
.lead { color: #555; } .ok { color: #2ca02c; font-weight: bold; }
.bad { color: #d62728; font-weight: bold; } .warn { color: #ff7f0e; font-weight: bold; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
.figure { break-inside: avoid; page-break-inside: avoid; margin: 8px 0; }
.appendix { font-size: 12px; } .appendix h1 { font-size: 20px; } .appendix h2 { font-size: 16px; }
@page { size: A4; margin: 12mm; }
@media print { h2 { break-after: avoid; } section { break-inside: auto; } }
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _figure(fig: go.Figure) -> str:
    # plotly's own template, named: importing streamlit makes its theme the process default,
    # and the report must look the same from the app and from the command
    fig.update_layout(template="plotly")
    body = fig.to_html(full_html=False, include_plotlyjs=False, default_width="100%",
                       config={"displayModeBar": False, "responsive": True})
    return f'<div class="figure">{body}</div>'


def _metric_row(f: ProjectFacts, metric: str) -> pd.Series | None:
    if f.metrics.empty or metric not in set(f.metrics["metric"]):
        return None
    return f.metrics.set_index("metric").loc[metric]


# ----------------------------------------------------------------- sections
def _what(f: ProjectFacts) -> str:
    if f.brief is None:
        return "<p>No project brief is saved yet, so the purpose is not written down.</p>"
    b = f.brief.brief
    parts = [f"<p>{_e(b.problem)}</p>" if b.problem else "",
             f"<p><b>The decision it helps with:</b> {_e(b.decision)}</p>" if b.decision else "",
             f"<p><b>What it looks at:</b> {_e(b.x_description)}</p>" if b.x_description else "",
             f"<p><b>What it predicts:</b> {_e(b.y_description)}</p>" if b.y_description else ""]
    return "".join(parts) or "<p>The brief does not describe the problem yet.</p>"


def _primary_sentence(f: ProjectFacts) -> str:
    c = f.brief.brief.contract if f.brief else None
    if c is None or c.primary is None:
        return ""
    row = _metric_row(f, c.primary.name)
    if row is None:
        return ""
    met = row.get("verdict") == "pass"
    ci = (f" (95% interval {num(row['low'])} to {num(row['high'])})"
          if "low" in row and not pd.isna(row["low"]) else "")
    acc = _metric_row(f, "accuracy")
    n = acc.get("n") if acc is not None else None
    cases = f"{int(n):,} " if n is not None and not pd.isna(n) else ""
    return (f"<p>On the {cases}test cases it never saw, the model's "
            f"<b>{_e(mlabel(c.primary.name))}</b> is "
            f"<b>{num(row['this run'])}</b>{ci}; the brief asks for {num(c.primary.target)}: "
            f"<span class='{'ok' if met else 'bad'}'>{'met' if met else 'not met'}</span>.</p>")


def _against(f: ProjectFacts, kind: str, who: str) -> str:
    c = f.brief.brief.contract if f.brief else None
    b = c.baselines.get(kind) if c else None
    if b is None or b.value is None:
        return f"<li>{who}: not measured.</li>"
    row = _metric_row(f, b.metric)
    model = f"the model reaches {num(row['this run'])}" if row is not None else \
        "the model's value in that measure is not stored"
    return (f"<li>{who}: {_e(mlabel(b.metric))} {num(b.value)} ({_e(b.source)}); "
            f"{model}.</li>")


def _how_good(f: ProjectFacts) -> str:
    if f.metrics.empty:
        return f"<p>Not available: {_e(f.missing.get('model', 'no model'))}.</p>"
    out = [_primary_sentence(f), "<ul>", _against(f, "hlp", "People (human-level)"),
           _against(f, "existing", "The current process"), "</ul>"]
    if f.labels:
        out.append(f"<p>How consistent people are: {f.labels['n_annotators']} reviewers "
                   f"labelled {f.labels['n_items']:,} cases and agreed on "
                   f"{num(100 * (f.labels['observed'] or 0), 0)}% of them (Fleiss' κ "
                   f"{num(f.labels['fleiss_kappa'])}).</p>")
    out.append(_figure(charts.metrics_figure(f.metrics)))
    out.append("<p class='lead'>Bars: the model, with its 95% interval (Wilson for shares, "
               "bootstrap otherwise). Markers: what it is compared with.</p>")
    return "".join(out)


def _fails(f: ProjectFacts) -> str:
    if f.slices.empty:
        return f"<p>Not available: {_e(f.missing.get('slices', 'no slice analysis'))}.</p>"
    top = f.slices.iloc[0]
    label = mlabel(f.slice_metric)
    group = group_name(top["column"], top["value"])
    out = [f"<p>The group of cases that costs most is <b>{_e(group)}</b> "
           f"({num(100 * top['share'], 0)}% of cases): {_e(label)} "
           f"{num(top[f.slice_metric])} against {num(f.slice_overall)} overall.</p>"]
    for _, g in f.fairness.iterrows():
        cls = "bad" if g["ratio"] < 0.8 else "ok"
        out.append(f"<p>Across <b>{_e(g['column'])}</b> (a sensitive attribute) the weakest "
                   f"group ({_e(g['worst'])}) reaches <span class='{cls}'>"
                   f"{num(100 * g['ratio'], 0)}%</span> of the best group's ({_e(g['best'])}) "
                   f"{_e(label)}.</p>")
    out.append(_figure(charts.slices_figure(f.slices, f.slice_metric, f.slice_overall)))
    return "".join(out)


def _rollout(f: ProjectFacts) -> str:
    if not f.rehearsals:
        return f"<p>Not available: {_e(f.missing.get('rehearsals', 'no rehearsal'))}.</p>"
    out = ["<p>Before it serves real customers, the rollout was rehearsed on recorded "
           "traffic:</p><ul>"]
    for r in f.rehearsals:
        cls = "ok" if r["decision"] == "go" else "bad"
        out.append(f"<li><b>{_e(r['name'])}</b>: <span class='{cls}'>{_e(r['decision'])}"
                   f"</span>. {_e(r['story'] or (r['reasons'][0] if r['reasons'] else ''))}</li>")
    out.append("</ul>")
    frame = pd.DataFrame([{k: r[k] for k in ("name", "decision", "errors exposed",
                                             "extra wrong")} for r in f.rehearsals])
    out.append(_figure(charts.rehearsals_figure(frame)))
    return "".join(out)


def _since(f: ProjectFacts) -> str:
    if not f.monitoring:
        return f"<p>Not available: {_e(f.missing.get('monitoring', 'no monitoring'))}.</p>"
    from core.charts.monitoring import performance_figure

    mon = f.monitoring
    alerts = mon["alerts"]
    out = [f"<p>Monitoring compared {int(mon['run'].summary.get('windows', 0))} periods of "
           f"production traffic with the training data: {len(alerts)} alert(s), "
           f"{mon['open']} still open.</p><ul>"]
    out += [f"<li>{_e(a['message'])}</li>" for _, a in alerts.iterrows()]
    out.append("</ul>")
    metric = mon["run"].settings.get("primary_metric")
    results = mon["results"]
    if metric and (results["metric"] == f"realized_{metric}").any():
        det = pd.DataFrame({"detector": pd.Series(dtype=str), "when": pd.Series(dtype=str)})
        out.append(_figure(performance_figure(results, metric,
                                              mon["run"].settings.get("primary_floor"), det)))
    return "".join(out)


def _approvals(f: ProjectFacts) -> str:
    rows = "".join(
        f"<tr><td>{_e(g.label)}</td><td class='"
        f"{ {'approved': 'ok', 'invalidated': 'bad'}.get(g.status, 'warn') }'>"
        f"{_e(g.status)}</td><td>{_e(g.sentence())}</td><td>{_e(g.comment)}</td></tr>"
        for g in f.approvals)
    lim = (f"<p><b>Limitations (the team's words):</b> {_e(f.limitations.text)}</p>"
           if f.limitations else "<p>No limitations recorded yet.</p>")
    return ("<table><tr><th>gate</th><th>status</th><th>who, when</th><th>comment</th></tr>"
            f"{rows}</table>{lim}")


def _card_html(f: ProjectFacts) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(model_card(f))


SECTIONS = (("What the model does", _what), ("How good it is", _how_good),
            ("Where it fails", _fails), ("How it was rolled out", _rollout),
            ("What changed since", _since), ("Approvals and limitations", _approvals))


def report_html(f: ProjectFacts) -> str:
    """The report as one HTML document that needs no network to open."""
    from plotly.offline import get_plotlyjs

    body = "".join(f"<section><h2>{_e(title)}</h2>{part(f)}</section>"
                   for title, part in SECTIONS)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(f.project.name)}: stakeholder report</title>"
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script>"
        "</head><body>"
        f"<h1>{_e(f.project.name)}</h1><p class='lead'>Stakeholder report, generated "
        f"{f.generated_at:%Y-%m-%d %H:%M} UTC from the ML Production Workbench's stored "
        f"results.</p>{body}<section class='appendix'><h2>Appendix: model card</h2>"
        f"{_card_html(f)}</section></body></html>"
    )


def chromium_path() -> str:
    """The chromium that prints PDFs (setting ``WORKBENCH_CHROMIUM``), or a clear error."""
    from core import config

    wanted = config.get("WORKBENCH_CHROMIUM")
    found = shutil.which(wanted)
    if found is None:
        raise StoreError(
            f"The PDF report needs chromium, and {wanted!r} was not found. Install it "
            "(Debian: apt-get install chromium) or set WORKBENCH_CHROMIUM to its path. "
            "The HTML report works without it."
        )
    return found


def report_pdf(page: str, timeout_s: float = 180.0) -> bytes:
    """Print the report's HTML to PDF (A4) with headless chromium; returns the PDF's bytes."""
    exe = chromium_path()
    with tempfile.TemporaryDirectory(prefix="wb-report-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(page, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--no-pdf-header-footer", "--virtual-time-budget=20000",
               f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise StoreError(f"chromium did not finish printing the report in {timeout_s:.0f} s."
                             ) from exc
        if not out.is_file() or out.stat().st_size == 0:
            raise StoreError("chromium could not print the report to PDF: "
                             + (proc.stderr.strip().splitlines() or ["no message"])[-1])
        return out.read_bytes()
