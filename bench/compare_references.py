"""The workbench's drift statistics and label-free performance estimate next to Evidently's
and NannyML's, on the same seeded data (a one-off, reproducible comparison).

    python -m bench.compare_references --venv /tmp/refcmp/venv

Evidently 0.7 and NannyML 0.13 need pandas < 3, so they cannot be installed next to the
project (pandas 3); they run in a separate virtualenv::

    python3 -m venv /tmp/refcmp/venv
    /tmp/refcmp/venv/bin/pip install "evidently==0.7.*" "nannyml==0.13.*"

This script generates its data with numpy (seeded, no downloads), computes the workbench's
numbers in-process, writes the data to Parquet in a temporary folder, runs a small script
(:data:`REFERENCE_SCRIPT`) with the virtualenv's python that computes Evidently's and
NannyML's numbers and prints them as JSON, and prints Markdown tables side by side:

a. Data drift per column, reference 20,000 rows vs current 5,000: 8 numeric columns (mean
   shifts of 0 to 0.5 sd, a variance change, a skewed lognormal, an integer count) and 5
   categorical ones (no change, a mild share change, a new category, a strong change, a new
   category next to a very rare reference category). For
   KS, Wasserstein, PSI, Jensen-Shannon and chi-square: the workbench's value
   (:func:`core.monitoring.drift.compute_drift` on two stored profiles, the method forced for all
   columns), Evidently's (``ValueDrift(column, method=...)``) and both verdicts at each
   tool's default threshold; then each tool's default method per column.
b. Performance without labels: a HistGradientBoostingClassifier (max_iter=300,
   learning_rate=0.3: overconfident) and a LogisticRegression (near-calibrated), a labelled
   reference (held-out predictions) and 10 analysis chunks of 2,000 rows, some with
   covariate shift; the model's predictions are raw score >= 0.5 (and, for the boosted
   model, also >= 0.3, as a run whose decision threshold was tuned). Per chunk: realized
   accuracy and ROC AUC, the workbench's estimate (:func:`core.monitoring.performance.fit_calibration`
   on the reference, then :func:`core.monitoring.performance.estimate_performance` of the calibrated
   scores at the decision threshold, as :mod:`core.monitoring` does) and NannyML's CBPE
   estimate (``y_pred`` = the model's predictions).

Columns marked *diagnostic* are not outputs of either tool: they isolate where a
difference comes from (e.g. the workbench's PSI formula on Evidently's bins).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

N_REFERENCE = 20_000
N_CURRENT = 5_000
CHUNK = 2_000
N_CHUNKS = 10
N_TRAIN = 10_000
N_PERF_REFERENCE = 10_000

NUMERIC_METHODS = ("ks", "wasserstein", "psi", "jensenshannon")
CATEGORICAL_METHODS = ("psi", "jensenshannon", "chisquare")
METHOD_NAMES = {
    "ks": "KS p-value",
    "wasserstein": "Wasserstein / std",
    "psi": "PSI",
    "jensenshannon": "Jensen-Shannon",
    "chisquare": "chi-square p-value",
}

# ------------------------------------------------------------------ the reference script
REFERENCE_SCRIPT = r'''
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore")
folder = Path(sys.argv[1])
spec = json.loads((folder / "spec.json").read_text())
out = {"versions": {}}

# ---- Evidently: per-column drift with an explicit stattest, then with its default
import evidently
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift

out["versions"]["evidently"] = evidently.__version__
ref = pd.read_parquet(folder / "drift_ref.parquet")
cur = pd.read_parquet(folder / "drift_cur.parquet")
definition = DataDefinition(
    numerical_columns=spec["numeric"], categorical_columns=spec["categorical"]
)


def run(pairs):
    metrics = [ValueDrift(column=c, method=m) for c, m in pairs]
    snap = Report(metrics, include_tests=True).run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )
    d = snap.dict()
    status = {t["metric_config"]["metric_id"]: t["status"] for t in d["tests"]}
    rows = []
    for (column, asked), m in zip(pairs, d["metrics"]):
        assert m["config"]["column"] == column, (m["config"], column)
        rows.append({
            "column": column,
            "asked": asked,
            "method": m["config"].get("method"),
            "threshold": m["config"].get("threshold"),
            "value": float(m["value"]),
            "drifted": status[m["id"]] == "FAIL",
        })
    return rows


pairs = [(c, m) for c in spec["numeric"] for m in spec["numeric_methods"]]
pairs += [(c, m) for c in spec["categorical"] for m in spec["categorical_methods"]]
out["evidently"] = run(pairs)
out["evidently_default"] = run([(c, None) for c in spec["numeric"] + spec["categorical"]])

# ---- NannyML: CBPE fitted on the labelled reference, estimated on the analysis chunks
import nannyml as nml

out["versions"]["nannyml"] = nml.__version__
out["versions"]["pandas"] = pd.__version__
out["cbpe"] = {}
for model in spec["models"]:
    reference = pd.read_parquet(folder / f"perf_{model}_reference.parquet")
    analysis = pd.read_parquet(folder / f"perf_{model}_analysis.parquet")
    est = nml.CBPE(
        problem_type="classification_binary",
        y_pred_proba="y_pred_proba",
        y_pred="y_pred",
        y_true="y_true",
        metrics=["accuracy", "roc_auc"],
        chunk_size=spec["chunk_size"],
    )
    est.fit(reference)
    res = est.estimate(analysis).filter(period="analysis").to_df()
    out["cbpe"][model] = {
        "calibrated": bool(est.needs_calibration),
        "start_index": [int(v) for v in res[("chunk", "start_index")]],
        "accuracy": [float(v) for v in res[("accuracy", "value")]],
        "roc_auc": [float(v) for v in res[("roc_auc", "value")]],
    }
print(json.dumps(out))
'''


# --------------------------------------------------------------------------- the data
def drift_data(
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], list[str], list[str]]:
    """Reference and current frames; per column, what changed."""
    nr, nc = N_REFERENCE, N_CURRENT
    ref: dict[str, Any] = {}
    cur: dict[str, Any] = {}
    what: dict[str, str] = {}

    def normal(name: str, mu: float, sd: float, shift_sd: float, scale: float = 1.0,
               label: str = "") -> None:
        ref[name] = rng.normal(mu, sd, nr)
        cur[name] = rng.normal(mu + shift_sd * sd, sd * scale, nc)
        what[name] = label or f"mean +{shift_sd:g} sd"

    normal("sensor_a", 10.0, 2.0, 0.0, label="none")
    normal("sensor_b", 0.0, 1.0, 0.05)
    normal("sensor_c", 5.0, 3.0, 0.1)
    normal("sensor_d", -2.0, 0.5, 0.2)
    normal("sensor_e", 100.0, 15.0, 0.5)
    normal("sensor_f", 0.0, 1.0, 0.0, scale=1.5, label="sd x1.5, same mean")
    ref["dwell_time_s"] = rng.lognormal(1.0, 1.0, nr)
    cur["dwell_time_s"] = rng.lognormal(1.1, 1.0, nc)
    what["dwell_time_s"] = "lognormal(1, 1) -> lognormal(1.1, 1)"
    ref["visits_count"] = rng.poisson(4.0, nr)
    cur["visits_count"] = rng.poisson(4.4, nc)
    what["visits_count"] = "integer, Poisson(4) -> Poisson(4.4)"
    numeric = list(ref)

    def cat(name: str, values: list[str], p_ref: list[float], p_cur: list[float],
            label: str) -> None:
        ref[name] = rng.choice(values[: len(p_ref)], nr, p=p_ref)
        cur[name] = rng.choice(values[: len(p_cur)], nc, p=p_cur)
        what[name] = label

    cat("tariff_zone", ["A", "B", "C", "D", "E"], [0.3, 0.25, 0.2, 0.15, 0.1],
        [0.3, 0.25, 0.2, 0.15, 0.1], "none")
    cat("device_kind", ["mobile", "desktop", "tablet"], [0.5, 0.4, 0.1],
        [0.53, 0.38, 0.09], "mild share change")
    cat("region_code", ["north", "south", "east", "west", "central"], [0.25] * 4,
        [0.2375] * 4 + [0.05], "new category (5 %)")
    cat("plan_tier", ["basic", "plus", "pro"], [0.6, 0.3, 0.1], [0.35, 0.4, 0.25],
        "strong share change")
    # exact counts: a reference category of share 1e-4 (2 rows) and a new one of 1 %
    ref["sales_channel"] = rng.permutation(np.repeat(
        ["web", "app", "phone", "fax"], [12_000, 7_000, 998, 2]))
    cur["sales_channel"] = rng.permutation(np.repeat(
        ["web", "app", "phone", "kiosk"], [2_950, 1_750, 250, 50]))
    what["sales_channel"] = "new category (1 %), a 1e-4 category in the reference"
    categorical = [c for c in ref if c not in numeric]
    return pd.DataFrame(ref), pd.DataFrame(cur), what, numeric, categorical


FEATURES = ["load_kw", "temp_c", "vibration", "humidity_pct", "age_days", "noise_db"]
CHUNK_SHIFTS = (
    [("none", 0.0, 1.0)] * 4
    + [("load_kw +0.5 sd", 0.5, 1.0)] * 3
    + [("load_kw +1 sd, temp_c sd x1.5", 1.0, 1.5)] * 3
)


def _features(rng: np.random.Generator, n: int, shift: float, scale: float) -> np.ndarray:
    x = rng.normal(size=(n, len(FEATURES)))
    x[:, 0] += shift
    x[:, 1] *= scale
    return x


def _labels(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    logit = (1.2 * x[:, 0] - 1.0 * x[:, 1] + 0.7 * x[:, 2] + 0.5 * x[:, 3]
             - 0.3 * x[:, 4] + 0.8 * np.tanh(2 * x[:, 5]) - 0.3)
    return (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)


def performance_data(rng: np.random.Generator) -> dict[str, Any]:
    """Train, reference (held out, labelled) and analysis chunks; the concept P(y|x) fixed."""
    x_train = _features(rng, N_TRAIN, 0.0, 1.0)
    x_ref = _features(rng, N_PERF_REFERENCE, 0.0, 1.0)
    x_ana = np.vstack([_features(rng, CHUNK, s, k) for _, s, k in CHUNK_SHIFTS])
    return {
        "x_train": x_train, "y_train": _labels(rng, x_train),
        "x_ref": x_ref, "y_ref": _labels(rng, x_ref),
        "x_ana": x_ana, "y_ana": _labels(rng, x_ana),
    }


def models() -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    return {
        "hgb": HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.3, early_stopping=False, random_state=0
        ),
        "logreg": LogisticRegression(max_iter=1000),
    }


MODEL_NAMES = {
    "hgb": "HistGradientBoosting (max_iter=300, learning_rate=0.3)",
    "logreg": "LogisticRegression",
}
# (case, model, decision threshold on the model's raw score); core.monitoring estimates with
# the run's tuned decision threshold, so one case uses 0.3 (a run tuned for recall)
CASES = [("hgb", "hgb", 0.5), ("logreg", "logreg", 0.5), ("hgb_t03", "hgb", 0.3)]


# --------------------------------------------------------------------- the workbench side
def _open_store(path: Path) -> tuple[Any, Any, Any]:
    """A workbench database and its create-project and insert-dataset calls."""
    from core.db import datasets as datasets_db
    from core.db import projects as projects_db
    from core.db.database import Database

    return Database(path), projects_db.create_project, datasets_db.insert_dataset


def workbench_drift(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """compute_drift's frame per forced method, and with the default methods (key None)."""
    from core.monitoring.drift import METHODS, compute_drift
    from core.monitoring.profile_store import get_profile, profile_dataset

    with tempfile.TemporaryDirectory() as tmp:
        store, create_project, insert_dataset = _open_store(Path(tmp) / "compare.duckdb")
        try:
            pid = create_project(store, "reference comparison", "bench")
            ref_id = insert_dataset(
                store, pid, "reference", ref, source="bench", role="training", actor="bench"
            )
            cur_id = insert_dataset(
                store, pid, "current", cur, source="bench", role="production", actor="bench"
            )
            ref_pid = profile_dataset(store, ref_id, actor="bench")
            cur_pid = profile_dataset(
                store, cur_id, reference_profile_id=ref_pid, actor="bench"
            )
            rp, cp = get_profile(store, ref_pid), get_profile(store, cur_pid)
            out: dict[Any, pd.DataFrame] = {
                m: compute_drift(rp, cp, m).to_frame().set_index("column") for m in METHODS
            }
            out[None] = compute_drift(rp, cp).to_frame().set_index("column")
        finally:
            store.close()
    return out


def _value_key(method: str) -> str:
    return {"ks": "ks_pvalue", "chisquare": "chisquare_pvalue"}.get(method, method)


def evidently_bins(ref: pd.Series, cur: pd.Series, numeric: bool) -> tuple[np.ndarray, ...]:
    """Counts on Evidently 0.7's bins (legacy/calculations/stattests/utils.get_binned_data):
    Sturges' equal-width bins over the combined range for a numeric column with more than 20
    distinct reference values, else one bin per value. Diagnostic only."""
    if numeric and ref.nunique() > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]
    keys = sorted(set(ref.unique()) | set(cur.unique()))
    rc, cc = ref.value_counts(), cur.value_counts()
    return (np.array([rc.get(k, 0) for k in keys]), np.array([cc.get(k, 0) for k in keys]))


def workbench_performance(data: dict[str, Any]) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    from core.monitoring.performance import _expected_auc, estimate_performance, fit_calibration

    scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, model in models().items():
        # one thread: OpenMP threads competing with other processes cost 5-50x here
        with threadpool_limits(limits=1):
            model.fit(data["x_train"], data["y_train"])
            scores[name] = (model.predict_proba(data["x_ref"])[:, 1],
                            model.predict_proba(data["x_ana"])[:, 1])
    out: dict[str, Any] = {}
    for case, name, cut in CASES:
        p_ref, p_ana = scores[name]
        cal = fit_calibration(data["y_ref"], p_ref)
        rows = []
        for i, (label, _, _) in enumerate(CHUNK_SHIFTS):
            sl = slice(i * CHUNK, (i + 1) * CHUNK)
            p, y = p_ana[sl], data["y_ana"][sl]
            pc = cal.apply(p)
            est = estimate_performance(pc, threshold=cut, model_scores=p)  # as core.monitoring
            raw_pos = p >= cut
            rows.append({
                "chunk": i, "shift": label,
                "real_accuracy": float(np.mean(raw_pos == y)),
                "real_roc_auc": float(roc_auc_score(y, p)),
                "wb_accuracy": est["accuracy"],
                "wb_roc_auc": est["roc_auc"],
                # diagnostics: rows whose class at cut differs between calibrated and raw
                # score; the expected accuracy of the model's own predictions (raw >= cut);
                # the expected AUC with rows ranked by the raw score (ties by raw score)
                "diag_flipped": int(np.sum((pc >= cut) != raw_pos)),
                "diag_accuracy_raw_pred": float(np.mean(np.where(raw_pos, pc, 1 - pc))),
                "diag_auc_raw_rank": _expected_auc(pc, p),
                "diag_auc_calibrated_ties": _expected_auc(pc),
            })
        out[case] = {
            "model": name, "threshold": cut, "calibration": cal, "rows": rows,
            "reference_frame": pd.DataFrame({
                "y_pred_proba": p_ref, "y_pred": (p_ref >= cut).astype(int),
                "y_true": data["y_ref"],
            }),
            "analysis_frame": pd.DataFrame({
                "y_pred_proba": p_ana, "y_pred": (p_ana >= cut).astype(int),
            }),
        }
    return out


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, bool | np.bool_):
        return "drift" if v else "no"
    v = float(v)
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.2e}"
    return f"{v:.4f}"


def _diff(v: float | None) -> str:
    """An absolute difference; below 1e-12 it is floating-point rounding."""
    if v is None:
        return "–"
    return "< 1e-12" if v < 1e-12 else _fmt(v)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c if isinstance(c, str) else _fmt(c) for c in r) + " |"
              for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- main
def run_reference(python: Path, folder: Path) -> dict[str, Any]:
    script = folder / "reference.py"
    script.write_text(REFERENCE_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # no usage reporting from either library
    env |= {"DO_NOT_TRACK": "1", "ITERATIVE_DO_NOT_TRACK": "1",
            "NML_DISABLE_USAGE_LOGGING": "1",
            # Evidently orders categories by a set of strings: fix the hash for a stable sum
            "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [str(python), str(script), str(folder)], cwd=folder, env=env,
        capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the reference script failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True,
                        help="virtualenv with evidently 0.7 and nannyml 0.13")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    python = args.venv / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"no python at {python}; create the virtualenv first (see --help)")
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    ref, cur, what, numeric, categorical = drift_data(rng)
    wb = workbench_drift(ref, cur)
    wperf = workbench_performance(performance_data(rng))
    refres = _reference_side(python, ref, cur, numeric, categorical, wperf)
    _print_header(args.seed, refres["versions"])
    _print_drift(ref, cur, what, numeric + categorical, set(numeric), wb, refres)
    _print_performance(wperf, refres)
    print(f"Total time: {time.perf_counter() - t0:.1f} s")


def _reference_side(python: Path, ref: pd.DataFrame, cur: pd.DataFrame, numeric: list[str],
                    categorical: list[str], wperf: dict[str, Any]) -> dict[str, Any]:
    """Write the data to Parquet and run Evidently and NannyML in their virtualenv."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ref.to_parquet(folder / "drift_ref.parquet", index=False)
        cur.to_parquet(folder / "drift_cur.parquet", index=False)
        for name, r in wperf.items():
            r["reference_frame"].to_parquet(folder / f"perf_{name}_reference.parquet")
            r["analysis_frame"].to_parquet(folder / f"perf_{name}_analysis.parquet")
        (folder / "spec.json").write_text(json.dumps({
            "numeric": numeric, "categorical": categorical,
            "numeric_methods": list(NUMERIC_METHODS),
            "categorical_methods": list(CATEGORICAL_METHODS),
            "models": list(wperf), "chunk_size": CHUNK,
        }))
        return run_reference(python, folder)


def _print_header(seed: int, v: dict[str, str]) -> None:
    from importlib.metadata import version

    import scipy
    import sklearn

    print("# Workbench vs Evidently / NannyML\n")
    print(f"seed {seed}; workbench side: numpy {np.__version__}, pandas {pd.__version__},"
          f" scipy {scipy.__version__}, scikit-learn {sklearn.__version__},"
          f" duckdb {version('duckdb')}; reference side: evidently {v['evidently']},"
          f" nannyml {v['nannyml']}, pandas {v['pandas']}\n")


def _drift_row(col: str, m: str, is_num: bool, ref: pd.DataFrame, cur: pd.DataFrame,
               w: pd.Series, e: dict[str, Any]) -> tuple[float, Any, str]:
    """The workbench's value, the diagnostic value and the note of one column and method."""
    from scipy import stats

    from core.monitoring.drift import js_distance, psi

    wv = float(w[_value_key(m)])
    if m == "ks":
        exact = stats.ks_2samp(ref[col], cur[col])
        return wv, None, (f"D {w['ks']:.4f} (+ at most {w['ks_error_bound']:.4f}) / exact "
                          f"{exact.statistic:.4f}")
    if m in ("psi", "jensenshannon"):
        rb, cb = evidently_bins(ref[col], cur[col], is_num)
        return wv, (psi(rb, cb) if m == "psi" else js_distance(rb, cb)), f"{len(rb)} Ev. bins"
    return wv, None, ""


def _print_drift(ref: pd.DataFrame, cur: pd.DataFrame, what: dict[str, str], columns: list[str],
                 numeric: set[str], wb: dict[Any, pd.DataFrame], refres: dict[str, Any]) -> None:
    ev = {(r["column"], r["asked"]): r for r in refres["evidently"]}
    print(f"## a. Data drift per column ({N_REFERENCE:,} reference vs {N_CURRENT:,} current"
          " rows)\n")
    print("Drift verdicts at each tool's default threshold (KS, chi-square: p < 0.05, "
          "Evidently's KS p <= 0.05; Wasserstein, PSI, Jensen-Shannon: >= 0.1). "
          "*Diag.* = the workbench's PSI / JS formula (core.monitoring.drift.psi, js_distance) on "
          "Evidently's bins; for KS the exact statistic D (scipy ks_2samp on the raw "
          "values) next to the workbench's binned D.\n")
    rows = []
    summary: dict[str, dict[str, Any]] = {}
    for col in columns:
        is_num = col in numeric
        for m in NUMERIC_METHODS if is_num else CATEGORICAL_METHODS:
            w, e = wb[m].loc[col], ev[(col, m)]
            wv, diag, note = _drift_row(col, m, is_num, ref, cur, w, e)
            diff = abs(wv - e["value"])
            rows.append([col, what[col], METHOD_NAMES[m], wv, e["value"], _diff(diff), diag,
                         bool(w["drifted"]), bool(e["drifted"]), note])
            s = summary.setdefault(m, {"n": 0, "max": 0.0, "differ": 0, "max_num": 0.0,
                                       "max_cat": 0.0, "diag": 0.0})
            side = "max_num" if is_num else "max_cat"
            s["n"] += 1
            s["max"], s[side] = max(s["max"], diff), max(s[side], diff)
            s["differ"] += bool(w["drifted"]) != bool(e["drifted"])
            if diag is not None:
                s["diag"] = max(s["diag"], abs(diag - e["value"]))
    print(_table(["column", "change", "method", "workbench", "Evidently", "abs diff",
                  "diag.", "wb verdict", "Ev verdict", "note"], rows))
    _print_drift_summary(summary)
    _print_default_methods(what, columns, wb, refres)


def _print_drift_summary(summary: dict[str, dict[str, Any]]) -> None:
    from core.monitoring.drift import DEFAULT_THRESHOLDS

    print("\n### Summary per method\n")
    srows = [[METHOD_NAMES[m], str(s["n"]), _diff(s["max"]),
              _diff(s["max_num"] if m not in ("chisquare",) else None),
              _diff(s["max_cat"] if m not in ("ks", "wasserstein") else None),
              _diff(s["diag"] if m in ("psi", "jensenshannon") else None),
              f"{s['differ']} of {s['n']}", f"{DEFAULT_THRESHOLDS[m]:g}"]
             for m, s in summary.items()]
    print(_table(["method", "columns", "max abs diff", "numeric", "categorical",
                  "diag. max abs diff (wb formula, Ev bins)", "verdicts differ",
                  "threshold"], srows))


def _print_default_methods(what: dict[str, str], columns: list[str],
                           wb: dict[Any, pd.DataFrame], refres: dict[str, Any]) -> None:
    print("\n### Default method per column (no method asked)\n")
    evd = {r["column"]: r for r in refres["evidently_default"]}
    drows = []
    for col in columns:
        w, e = wb[None].loc[col], evd[col]
        value = w["statistic"] if w["method"] not in ("ks", "chisquare") else w["p_value"]
        drows.append([col, what[col], f"{w['method']}", float(value), bool(w["drifted"]),
                      f"{e['method']}", e["value"], bool(e["drifted"])])
    print(_table(["column", "change", "wb method", "wb value", "wb verdict", "Ev method",
                  "Ev value", "Ev verdict"], drows))
    agree = sum(r[4] == r[7] for r in drows)
    print(f"\nDefault verdicts agree on {agree} of {len(drows)} columns.")


def _print_performance(wperf: dict[str, Any], refres: dict[str, Any]) -> None:
    print(f"\n## b. Performance without labels ({N_PERF_REFERENCE:,} labelled reference rows,"
          f" {N_CHUNKS} analysis chunks of {CHUNK:,})\n")
    for name, r in wperf.items():
        nml = refres["cbpe"][name]
        assert nml["start_index"] == [i * CHUNK for i in range(N_CHUNKS)], nml["start_index"]
        cal = r["calibration"]
        print(f"### {MODEL_NAMES[r['model']]}, decision threshold {r['threshold']:g}\n")
        print(f"Workbench calibration: {cal.method} ({cal.reason}; ECE before "
              f"{cal.ece_before:.4f}, after {cal.ece_after:.4f}). NannyML calibrated: "
              f"{'yes (isotonic)' if nml['calibrated'] else 'no'}.\n")
        _print_chunks(r["rows"], nml)


def _print_chunks(rows: list[dict[str, Any]], nml: dict[str, Any]) -> None:
    """Per chunk realized vs both estimates, then the mean errors and the largest gaps."""
    prow = [[str(i), row["shift"], row["real_accuracy"], row["wb_accuracy"], nml["accuracy"][i],
             row["real_roc_auc"], row["wb_roc_auc"], nml["roc_auc"][i], str(row["diag_flipped"])]
            for i, row in enumerate(rows)]
    print(_table(["chunk", "shift", "accuracy realized", "wb est.", "NannyML est.",
                  "ROC AUC realized", "wb est.", "NannyML est.",
                  "diag. rows whose class flips when calibrated"], prow))

    def mean_gap(key: str, real: str, other: list[float] | None = None) -> float:
        return float(np.mean([abs((other[i] if other else row[key]) - row[real])
                              for i, row in enumerate(rows)]))

    def max_vs_nml(key: str, metric: str) -> float:
        return max(abs(row[key] - nml[metric][i]) for i, row in enumerate(rows))

    print(f"\nMean |estimate - realized| over {N_CHUNKS} chunks: accuracy workbench "
          f"{mean_gap('wb_accuracy', 'real_accuracy'):.4f}, NannyML "
          f"{mean_gap('', 'real_accuracy', nml['accuracy']):.4f}; ROC AUC workbench "
          f"{mean_gap('wb_roc_auc', 'real_roc_auc'):.4f}, NannyML "
          f"{mean_gap('', 'real_roc_auc', nml['roc_auc']):.4f}.")
    print(f"Max |workbench - NannyML| per chunk: accuracy "
          f"{max_vs_nml('wb_accuracy', 'accuracy'):.4f}, ROC AUC "
          f"{max_vs_nml('wb_roc_auc', 'roc_auc'):.4f}.")
    print("Diagnostic (not a workbench output): the workbench's formulas with the "
          "model's own predictions (raw score >= threshold) and rows ranked by the raw score: "
          f"mean |estimate - realized| accuracy "
          f"{mean_gap('diag_accuracy_raw_pred', 'real_accuracy'):.4f}, ROC AUC "
          f"{mean_gap('diag_auc_raw_rank', 'real_roc_auc'):.4f}; max |diag - NannyML| "
          f"accuracy {max_vs_nml('diag_accuracy_raw_pred', 'accuracy'):.2e}, "
          f"ROC AUC {max_vs_nml('diag_auc_raw_rank', 'roc_auc'):.2e}.\n")


if __name__ == "__main__":
    main()
