"""The whole lifecycle in a real browser on a new user's instance (issue 15, "Done when"):
a project of one's own, with column names unlike the demo's and no time column, walked
through every stage by clicking, typing and uploading only.

1. binary classification: scikit-learn's breast-cancer set (``malignant`` from 30 cell
   measurements, ``patient_ref`` ids);
2. regression: scikit-learn's diabetes set (``progression_1y`` from age, BMI, blood
   pressure and six serum measurements, ``visit_ref`` ids).

Each file is a seeded bootstrap of the bundled set (see ``tests.e2e.data``): the training
file (written as ``.csv.gz``), a labelled production stream resampled from held-out rows,
and a drifted batch (one feature shifted by 4 standard deviations, another scaled by 1.5).

After every step the page must show no exception box, and every chart it draws must carry
a title (and its axes theirs). Outcomes are read from the page (texts, metrics), never from
the database. A failing step saves a screenshot in the test's tmp folder and names it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e import driver as d
from tests.e2e.conftest import open_app
from tests.e2e.data import JourneyData, breast_cancer_journey, diabetes_journey

pytestmark = pytest.mark.e2e

SLOW = 300_000  # ms: training, monitoring, ingest with its quality report


@dataclass
class Walk:
    """A user's walk through the app: the page, where screenshots go, what each step showed."""

    page: object
    folder: Path
    log: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    step: str = "start"

    def at(self, step: str) -> None:
        self.step = step

    def shot(self) -> str:
        path = self.folder / f"{len(self.log):02d}_{re.sub(r'[^a-z0-9]+', '_', self.step.lower())}.png"
        try:
            self.page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the failure
            return f"(no screenshot: {exc})"
        return str(path)

    def check(self, condition: bool, message: str) -> None:
        """Assert with a screenshot of the page attached."""
        if not condition:
            raise AssertionError(f"[{self.step}] {message}\nscreenshot: {self.shot()}")

    def clean(self, min_charts: int = 0) -> list[dict]:
        """No exception box; at least ``min_charts`` charts, each labelled."""
        found = d.problems(self.page, self.step)
        self.check(not found, "; ".join(found))
        charts = d.charts(self.page)
        self.check(len(charts) >= min_charts,
                   f"expected at least {min_charts} chart(s), the page shows {len(charts)}")
        bad = d.unlabelled(charts)
        self.check(not bad, "charts not labelled: " + "; ".join(bad))
        return charts

    def done(self, what: str) -> None:
        self.log.append(f"{time.perf_counter() - self.started:6.1f} s  {self.step}: {what}")

    def text(self) -> str:
        """The main area's text with the visible tables' cells."""
        return d.all_text(self.page)


def _find(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text)


# ------------------------------------------------------------------ the stages
def create_project(w: Walk, data: JourneyData) -> None:
    w.at("Overview: create the project")
    page = w.page
    d.wait_ready(page)
    w.clean()
    box = d.expander(page, "New project")  # open on an empty instance, folded otherwise
    d.fill(page, "Name", data.name, scope=box)
    d.fill(page, "What is it for?", f"Predict {data.target} from our own measurements.",
           scope=box)
    d.click(page, "Create project", scope=box)
    w.clean()
    heading = page.locator("[data-testid='stMain'] h2", has_text=data.name)
    w.check(heading.count() == 1, f"the Overview does not show the new project {data.name!r}")
    w.check("Lifecycle" in w.text(), "no lifecycle checklist on the new project's Overview")
    w.done(f"project {data.name!r} created; lifecycle checklist shown")


def write_brief(w: Walk, data: JourneyData, *, with_target: bool) -> None:
    """Version 1 before any data (problem, task, primary metric); version 2 once the
    training data is loaded (y and the positive class: the target is picked from the
    project's columns)."""
    w.at("Scoping: brief " + ("v2 (y and positive class)" if with_target else "v1"))
    page = w.page
    d.goto(page, "", "Scoping")
    w.clean()
    form = page.locator("[data-testid='stForm']").first
    regression = data.positive_class is None
    if not with_target:
        d.fill(page, "Business problem", f"Decide which cases need attention first ({data.target}).",
               scope=form)
        d.fill(page, "Decision automated or supported", "Which case a specialist reviews first.",
               scope=form)
    d.tab(page, "f(x) = y and metrics", scope=form)
    if not with_target:
        d.select(page, "Task type", "Regression" if regression else "Binary classification",
                 scope=form, exact=True)
        d.select(page, "Primary metric", "MAE" if regression else "Recall", scope=form,
                 exact=True)
        d.number(page, "Primary target", 50 if regression else 0.8, scope=form)
        if not regression:
            d.select(page, "Secondary metric 1", "Precision", scope=form, exact=True)
            d.number(page, "Floor 1", 0.5, scope=form)
    else:
        d.select(page, "Target column (y)", data.target, scope=form, exact=True)
        if not regression:
            d.fill(page, "Positive class", data.positive_class or "", scope=form)
    d.click(page, "Save as new version")
    w.clean()
    version = 2 if with_target else 1
    saved = [a for a in d.alerts(page, "success") if f"Brief saved as version {version}" in a]
    w.check(bool(saved), f"no 'Brief saved as version {version}' message; alerts: "
            f"{d.alerts(page)}")
    d.expand(page, "The contract later stages check")
    contract = w.text()
    metric = "MAE" if regression else "Recall"
    w.check(metric in contract or metric.lower() in contract,
            f"the contract does not show the primary metric {metric}")
    if with_target:  # the saved version is loaded back into the form
        form = page.locator("[data-testid='stForm']").first
        d.tab(page, "f(x) = y and metrics", scope=form)
        y = d.selected(page, "Target column (y)", scope=form)
        w.check(y == data.target, f"the saved brief's y reads {y!r}, not {data.target!r}")
    w.done(f"brief saved as version {version}"
           + (f" (y = {data.target})" if with_target else f" (primary {metric})"))


def load_file(w: Walk, path: Path, role: str, n_rows: int, n_cols: int) -> None:
    w.at(f"Data: load {path.name} as {role}")
    page = w.page
    d.goto(page, "", "Data")
    w.clean()
    box = d.expander(page, "Add data")
    d.upload(page, path, scope=box)
    if d.selected(page, "Role", scope=box) != role:
        d.select(page, "Role", role, scope=box, exact=True)
    d.click(page, "Load", scope=box, timeout_ms=SLOW)
    w.clean()
    loaded = [a for a in d.alerts(page, "success")
              if f"Loaded {n_rows:,} rows and {n_cols} columns" in a]
    w.check(bool(loaded), f"no 'Loaded {n_rows:,} rows and {n_cols} columns' message; "
            f"alerts: {d.alerts(page)}")
    shown = d.metrics(page)
    w.check(shown.get("Rows") == f"{n_rows:,}" and shown.get("Role") == role,
            f"the dataset's metrics read {shown}")
    w.done(f"{n_rows:,} rows × {n_cols} columns stored as {role} "
           f"(data version {shown.get('Data version')})")


def set_roles(w: Walk, data: JourneyData) -> None:
    w.at("Data: column roles")
    page = w.page
    d.goto(page, "", "Data")
    d.tab(page, "Columns")
    box = d.expander(page, "Column roles")
    d.select(page, "time", "(none)", scope=box, exact=True)
    d.select(page, "id", data.id_column, scope=box, exact=True)
    d.select(page, "target", data.target, scope=box, exact=True)
    d.click(page, "Save column roles", scope=box)
    w.clean(min_charts=1)
    w.check(any("Column roles saved" in a for a in d.alerts(page, "success")),
            f"roles not saved; alerts: {d.alerts(page)}")
    box = d.expander(page, "Column roles")
    shown = {r: d.selected(page, r, scope=box) for r in ("time", "id", "target")}
    w.check(shown == {"time": "(none)", "id": data.id_column, "target": data.target},
            f"the saved roles read {shown}")
    w.done(f"roles saved: id = {data.id_column}, target = {data.target}, time = (none)")


def build_split(w: Walk, data: JourneyData, method: str) -> None:
    w.at(f"Data: {method} split")
    page = w.page
    d.goto(page, "", "Data")
    d.tab(page, "Balance")
    w.clean(min_charts=1)
    balance = w.text()
    if data.positive_class is None:
        w.check("regression target" in balance, "the Balance tab does not treat the "
                "numeric target as a regression target")
    else:
        w.check("Imbalance ratio" in balance, "the Balance tab shows no class balance")
    d.tab(page, "Splits")
    d.segment(page, method)
    panel = page.locator("[data-testid='stForm']").filter(
        has=page.get_by_role("button", name="Create split")).first
    if d.selected(page, "Target", scope=panel) != data.target:
        d.select(page, "Target", data.target, scope=panel, exact=True)
    d.click(page, "Create split", scope=panel, timeout_ms=SLOW)
    w.clean(min_charts=1)
    stored = [a for a in d.alerts(page, "success") if a.startswith("Stored split")]
    w.check(bool(stored), f"no 'Stored split' message; alerts: {d.alerts(page)}")
    warnings = [a for a in d.alerts(page, "warning") if "has no row of class" in a]
    w.check(not warnings, f"split warnings about missing classes: {warnings[:3]}")
    m = _find(r"([\d,]+) train, ([\d,]+) dev, ([\d,]+) test", stored[0])
    w.check(m is not None, f"the split message gives no part sizes: {stored[0]}")
    w.done(f"{method} split: {m.group(1)} train / {m.group(2)} dev / {m.group(3)} test")


def train(w: Walk, model: str) -> tuple[int, dict[str, float]]:
    """Train one model from the Train tab; its run id and dev metrics as the page says."""
    w.at(f"Training: {model}")
    page = w.page
    d.tab(page, "Train")
    label = next(lab for lab in ("Model (classification)", "Model (regression)")
                 if page.locator("[data-testid='stWidgetLabel']",
                                 has_text=re.compile(rf"^{re.escape(lab)}$")).count())
    d.select(page, label, model, exact=True)
    d.click(page, "Train", timeout_ms=SLOW)
    w.clean()
    done = [a for a in d.alerts(page, "success") if _find(r"Run #\d+ \w+ in [\d.]+ s", a)]
    failed = [a for a in d.alerts(page, "error")]
    w.check(bool(done) and not failed, f"training {model} did not finish: {failed or d.alerts(page)}")
    run_id = int(_find(r"Run #(\d+)", done[0]).group(1))
    dev = {k: float(v) for k, v in re.findall(r"(ROC AUC|F1|MAE|RMSE|R²|MAPE) (-?\d+(?:\.\d+)?)", done[0])}
    w.done(f"run #{run_id} {model}: dev {dev}")
    return run_id, dev


def register(w: Walk, run_id: int) -> int:
    """Open a run's report in the Runs tab and register its model; the version number."""
    w.at(f"Training: register run #{run_id}")
    page = w.page
    d.tab(page, "Runs")
    d.select(page, "Run", f"#{run_id} ")
    w.clean(min_charts=2)
    d.click(page, "Register this model")
    w.clean()
    ok = [a for a in d.alerts(page, "success") if "Registered as version" in a]
    w.check(bool(ok), f"run #{run_id} was not registered: {d.alerts(page)}")
    version = int(_find(r"version (\d+)", ok[0]).group(1))
    w.done(f"run #{run_id} registered as v{version}")
    return version


def make_champion(w: Walk, version: int) -> None:
    w.at(f"Training: v{version} champion")
    page = w.page
    d.tab(page, "Registry")
    d.select(page, "Version", f"v{version} ")
    d.click(page, "Make champion")
    w.clean()
    d.tab(page, "Registry")
    registry = page.locator("[data-testid='stDataFrame']").filter(visible=True)
    w.check(registry.count() >= 1, "the registry table is not shown")
    w.check("champion" in w.text(), "no champion in the registry after 'Make champion'")
    w.done(f"v{version} is the champion")


def train_two(w: Walk, data: JourneyData) -> tuple[int, int]:
    """A dummy baseline and a real model; the better one on dev (as the page reports it)
    becomes champion. Returns (baseline version, champion version)."""
    page = w.page
    d.goto(page, "", "Training")
    w.clean()
    regression = data.positive_class is None
    base_model = "Dummy baseline (mean / median)" if regression else "Dummy baseline (majority / prior)"
    real_model = "Ridge regression" if regression else "Logistic regression"
    base_run, base_dev = train(w, base_model)
    real_run, real_dev = train(w, real_model)
    if regression:
        better = real_dev["MAE"] < base_dev["MAE"]
        w.check(better, f"ridge (dev MAE {real_dev['MAE']}) is not better than the mean "
                f"baseline ({base_dev['MAE']})")
    else:
        better = real_dev["ROC AUC"] > base_dev["ROC AUC"]
        w.check(better, f"logistic regression (dev ROC AUC {real_dev['ROC AUC']}) is not "
                f"better than the dummy ({base_dev['ROC AUC']})")
    v_base = register(w, base_run)
    v_real = register(w, real_run)
    make_champion(w, v_real)
    return v_base, v_real


def error_analysis(w: Walk, data: JourneyData) -> None:
    w.at("Error analysis: slice table")
    page = w.page
    d.goto(page, "", "Error analysis")
    w.clean(min_charts=2)
    run = d.selected(page, "Run")
    w.check("champion" in run, f"error analysis opens on {run!r}, not the champion")
    shown = d.metrics(page)
    metric = "MAE" if data.positive_class is None else "Recall"
    w.check(f"Overall {metric}" in shown, f"no 'Overall {metric}' headline: {shown}")
    w.check("Slices by priority" in w.text(), "no slice table")
    table = page.locator("[data-testid='stDataFrame']").filter(visible=True)
    w.check(table.count() >= 1, "the slice table is not drawn")
    w.done(f"{run}: overall {metric} {shown[f'Overall {metric}']} on {shown.get('Rows')} dev "
           "rows; slice table and its charts shown")


def rehearsal(w: Walk, data: JourneyData, *, incumbent: str | None, candidate: str,
              first: bool) -> str:
    """A canary on the production stream, in file order; the verdict line."""
    w.at("Deployment: canary " + ("(first)" if first else "(challenger)"))
    page = w.page
    d.goto(page, "", "Deployment")
    w.clean()
    if not first:
        prefill = [a for a in d.alerts(page, "success") if "pre-selected as candidate" in a]
        w.check(bool(prefill), f"the retrained challenger is not pre-selected: {d.alerts(page)}")
    box = d.expander(page, "New rehearsal")
    stream = d.selected(page, "Production stream", scope=box)
    w.check(data.stream.stem in stream, f"the stream picked is {stream!r}")
    if incumbent:
        d.select(page, "Incumbent (serves today)", incumbent, scope=box)
    if candidate not in d.selected(page, "Candidate", scope=box):
        d.select(page, "Candidate", candidate, scope=box)
    cols = {lab: d.selected(page, lab, scope=box)
            for lab in ("Time", "Request id", "Label (arrives later)")}
    w.check(cols == {"Time": "(file order)", "Request id": data.id_column,
                     "Label (arrives later)": data.target},
            f"the stream columns default to {cols}, not the project's roles")
    w.check("replayed in file order" in box.inner_text(), "no note on the file-order replay")
    d.click(page, "Run the rehearsal", scope=box, timeout_ms=SLOW)
    w.clean(min_charts=1)
    errors = d.alerts(page, "error")
    w.check(not errors, f"the rehearsal did not run: {errors}")
    verdicts = [a for a in d.alerts(page) if _find(r"^(GO|NO-GO|NOT JUDGED) —", a)]
    w.check(bool(verdicts), f"no verdict box; alerts: {d.alerts(page)}")
    verdict = verdicts[0].splitlines()[0]
    w.check(not verdict.startswith("NOT JUDGED"),
            f"the canary was not judged on the stream's labels: {verdict}; {w.text()[:1500]}")
    w.check("(canary)" in verdict and candidate in verdict, f"verdict line: {verdict}")
    shown = d.metrics(page)
    w.check("Errors exposed" in shown, f"headline numbers: {shown}")
    w.check("Replayed in file order" in w.text() or "file order" in w.text(),
            "the page does not say the replay was in file order")
    w.done(f"{verdict} · errors exposed {shown.get('Errors exposed')} · served by candidate "
           f"{shown.get('Served by candidate')} · rollbacks {shown.get('Rollbacks')}")
    return verdict


def monitor_and_retrain(w: Walk, data: JourneyData) -> None:
    w.at("Monitoring: drifted batch, one window")
    page = w.page
    d.goto(page, "", "Monitoring")
    w.clean()
    box = d.expander(page, "New monitoring run")
    d.select(page, "Current (production stream or batch)", data.drifted.stem, scope=box,
             exact=True)
    w.check(d.selected(page, "Windows", scope=box) == "the whole dataset as one window",
            f"windows default to {d.selected(page, 'Windows', scope=box)!r}")
    w.check("champion" in d.selected(page, "Model version", scope=box),
            "the champion is not the monitored model")
    d.click(page, "Run monitoring", scope=box, timeout_ms=SLOW)
    w.clean()  # the Alerts tab opens first: it has no chart
    errors = d.alerts(page, "error")
    w.check(not errors, f"monitoring did not run: {errors}")
    run = d.selected(page, "Monitoring run")
    w.check(data.drifted.stem in run, f"the page shows run {run!r}, not the new one")
    shown = d.metrics(page)
    w.check(shown.get("Windows checked") == "1", f"headline: {shown}")
    w.check(int(shown.get("Open alerts", "0")) >= 1, f"no alert on the drifted batch: {shown}")
    table = w.text()
    policies = [p for p in ("dataset drift", "output drift") if p in table]
    w.check(bool(policies), "the alerts name neither dataset drift nor output drift")
    w.done(f"one window; {shown.get('Features drifted, last window')} of features drifted; "
           f"{shown['Open alerts']} open alert(s) ({', '.join(policies)})")

    for name, min_charts in (("Data drift", 1), ("Performance & outputs", 1)):
        w.at(f"Monitoring: {name} tab")
        d.tab(page, name)
        w.clean(min_charts=min_charts)
        if name == "Data drift":
            heat = [c for c in d.charts(page) if c["types"] and c["types"][0] == "heatmap"]
            w.check(bool(heat), "no drift heatmap")
        if name == "Performance & outputs" and data.positive_class is None:
            w.check("not available for regression" in w.text(),
                    "the page does not say the estimate is unavailable for a regression")
        w.done(f"{len(d.charts(page))} chart(s), all labelled")

    w.at("Monitoring: retrain a challenger")
    d.tab(page, "Alerts")
    d.click(page, "Retrain a challenger", timeout_ms=SLOW)
    w.clean()
    ok = [a for a in d.alerts(page, "success") if "registered as challenger" in a]
    w.check(bool(ok), f"no challenger: {d.alerts(page)}")
    rows = _find(r"on ([\d,]+) labelled rows", ok[0])
    w.done(f"challenger trained on {rows.group(1) if rows else '?'} labelled rows")


def overview_after(w: Walk) -> None:
    w.at("Overview: lifecycle after the walk")
    page = w.page
    d.goto(page, "", "Overview")
    w.clean()
    text = w.text()
    w.check("Open alerts (0)" not in text, "the Overview shows no open alert")
    w.done("lifecycle shown; " + (_find(r"Open alerts \(\d+\)", text) or ["?"])[0])


# ------------------------------------------------------------------ the walks
def _walk(browser, server, tmp_path: Path) -> Walk:
    page = open_app(browser, server)
    page.set_default_timeout(60_000)
    return Walk(page, tmp_path)


def _whole_lifecycle(w: Walk, data: JourneyData, n_cols: int) -> None:
    """Every stage in the order a new user takes them, each step checked as it goes."""
    try:
        create_project(w, data)
        write_brief(w, data, with_target=False)
        load_file(w, data.training, "training", data.n_training, n_cols)
        set_roles(w, data)
        write_brief(w, data, with_target=True)
        build_split(w, data, "Stratified by target")
        v_base, v_champ = train_two(w, data)
        error_analysis(w, data)
        load_file(w, data.stream, "production", data.n_stream, n_cols)
        rehearsal(w, data, incumbent=f"v{v_base}", candidate=f"v{v_champ} champion", first=True)
        load_file(w, data.drifted, "production", data.n_drifted, n_cols)
        monitor_and_retrain(w, data)
        rehearsal(w, data, incumbent=None, candidate="challenger", first=False)
        overview_after(w)
    finally:
        print("\n".join(w.log))
        w.page.close()


def test_binary_lifecycle_on_own_data(empty_server, browser, tmp_path):
    data = breast_cancer_journey(tmp_path / "data")
    _whole_lifecycle(_walk(browser, empty_server, tmp_path), data, n_cols=32)


def test_regression_lifecycle_on_own_data(empty_server, browser, tmp_path):
    data = diabetes_journey(tmp_path / "data")
    _whole_lifecycle(_walk(browser, empty_server, tmp_path), data, n_cols=12)
