"""Benchmark slice discovery: ``python -m bench.slices --rows 1000000``.

Generates predictions x 10 columns (6 categorical, 4 numeric) with planted bad slices —
two of two predicates, one of three — each with about three times the base error rate,
then times our SliceLine search in DuckDB (column planning included) and the ``sliceline``
package (numpy/scipy, from requirements-dev) on the same binned data, in the same run.
The last line is ``slices: <s> s, peak <MB> MB, planted found <k>/<K>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.memory import PeakRSS
from core import analysis as S
from core.db.database import Database

BASE_ERROR = 0.08
PLANTED_ERROR = 0.30  # ~3.75x the base error rate inside the slices


def generate(rows: int, seed: int = 0) -> tuple[pd.DataFrame, list[set[tuple[str, str]]]]:
    """Predictions with planted slices; returns the frame and each planted slice's predicates
    as {(column, value text)} where numeric predicates read '≥ q80' of that column."""
    rng = np.random.default_rng(seed)
    cards = {
        "region": 6,
        "product": 8,
        "channel": 4,
        "segment": 5,
        "device": 3,
        "plan": 4,
    }
    df = pd.DataFrame(
        {
            c: np.char.add(c[:3] + "_", rng.integers(0, k, rows).astype(str))
            for c, k in cards.items()
        }
    )
    df["amount"] = np.round(np.exp(rng.normal(7, 1, rows)), 2)
    df["age"] = rng.integers(18, 90, rows).astype(np.int64)
    df["tenure"] = rng.exponential(900, rows)
    df["score_x"] = rng.normal(0, 1, rows)
    q80 = float(np.quantile(df["amount"], 0.8))
    planted = [
        (df["region"] == "reg_2") & (df["product"] == "pro_5"),
        (df["channel"] == "cha_1") & (df["amount"] >= q80),
        (df["segment"] == "seg_3") & (df["device"] == "dev_0") & (df["plan"] == "pla_2"),
    ]
    truth = [
        {("region", "reg_2"), ("product", "pro_5")},
        {("channel", "cha_1"), ("amount", "≥ q80")},
        {("segment", "seg_3"), ("device", "dev_0"), ("plan", "pla_2")},
    ]
    p_err = np.full(rows, BASE_ERROR)
    for mask in planted:
        p_err[mask.to_numpy()] = PLANTED_ERROR
    y = (rng.uniform(size=rows) < 0.3).astype(np.int8)
    wrong = rng.uniform(size=rows) < p_err
    df["y_true"] = y.astype(str)
    df["y_pred"] = np.where(wrong, 1 - y, y).astype(str)
    df["score"] = np.clip(np.where(df["y_pred"] == "1", 0.7, 0.3) + rng.normal(0, 0.1, rows), 0, 1)
    df["row_id"] = np.arange(rows)
    return df, truth


def found(discovery: S.Discovery, truth: list[set[tuple[str, str]]], q80: float) -> int:
    """How many planted slices appear exactly among the discovered ones."""
    got = []
    for preds in discovery.slices["slice"]:
        items = set()
        for p in preds:
            if (
                p["op"] == "range"
                and p.get("hi") is None
                and abs(float(p["lo"]) - q80) < 1e-6 * abs(q80)
            ):
                items.add((p["column"], "≥ q80"))
            else:
                items.add((p["column"], str(p.get("value"))))
        got.append(items)
    return sum(t in got for t in truth)


def run_sliceline(
    df: pd.DataFrame,
    plan: list[S.ColumnSpec],
    errors: np.ndarray,
    *,
    alpha: float,
    sigma: int,
    k: int,
    rows: int,
) -> tuple[float | None, float, str]:
    """Time the sliceline package on the same binned columns (codes as in our search)."""
    try:
        from sliceline.slicefinder import Slicefinder
    except ImportError as exc:
        return None, 0.0, f"sliceline not installed ({exc})"
    X = np.empty((len(df), len(plan)), dtype=np.int64)
    for j, spec in enumerate(plan):
        col = df[spec.column]
        if spec.kind == "num":
            X[:, j] = 1 + np.searchsorted(np.asarray(spec.edges), col.to_numpy(), side="right")
        else:
            X[:, j] = col.map({v: i + 1 for i, v in enumerate(spec.values)}).fillna(
                len(spec.values) + 1
            )
    X, e = X[:rows], errors[:rows]
    finder = Slicefinder(
        alpha=alpha,
        k=k,
        max_l=3,
        min_sup=max(1, int(sigma * rows / len(df))),
        verbose=False,
    )
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        finder.fit(X, e)
        secs = time.perf_counter() - t0
    return secs, mem.peak_mb, f"{len(finder.top_slices_)} slices"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--alpha", type=float, default=0.98)
    ap.add_argument("--min-support", type=float, default=0.005, help="share of rows")
    ap.add_argument(
        "--sliceline-rows",
        type=int,
        default=10_000,
        help="rows given to the sliceline package: it needs ~1.5 GB and ~15 s "
        "for 10,000 rows here (100,000 took 215 s and 15 GB), so it gets a "
        "sample; 0 = all rows",
    )
    ap.add_argument("--skip-sliceline", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    df, truth = generate(args.rows)
    q80 = float(np.quantile(df["amount"], 0.8))
    print(
        f"generated {len(df):,} predictions x 10 columns in {time.perf_counter() - t:.1f} s; "
        f"{len(truth)} planted slices at {PLANTED_ERROR / BASE_ERROR:.1f}x the base error rate"
    )

    with tempfile.TemporaryDirectory() as tmp:
        store = Database(Path(tmp) / "bench.duckdb")
        src = S.frame_source(df, positive_class="1")
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            plan = S.plan_columns(store, src, bins=5)
            t_plan = time.perf_counter() - t0
            disc = S.discover_slices(
                store,
                src,
                plan.specs,
                alpha=args.alpha,
                min_support=args.min_support,
                top_k=args.top_k,
                max_level=3,
            )
            ours = time.perf_counter() - t0
        store.close()
    k = found(disc, truth, q80)
    print(
        f"ours: plan {t_plan:.2f} s + lattice {ours - t_plan:.2f} s, "
        f"{int(disc.stats.get('evaluated', 0)):,} slices evaluated, peak RSS {mem.peak_mb:.0f} MB"
    )
    for r in disc.slices.head(args.top_k).itertuples(index=False):
        print(
            f"  #{r.rank:<2} score {r.score:6.3f}  size {r.size:>7,}  error {r.error_rate:.3f}  {r.label}"
        )

    if not args.skip_sliceline:
        errors = (df["y_true"] != df["y_pred"]).to_numpy(dtype=float)
        rows = min(args.sliceline_rows or len(df), len(df))
        secs, peak, what = run_sliceline(
            df,
            plan.specs,
            errors,
            alpha=args.alpha,
            sigma=int(disc.params["min_support"]),
            k=args.top_k,
            rows=rows,
        )
        if secs is None:
            print(f"sliceline: {what}")
        else:
            scale = len(df) / rows
            note = (
                "" if rows == len(df) else f" on a {rows:,}-row sample (x{scale:.0f} rows for ours)"
            )
            print(
                f"sliceline package: {secs:.2f} s, peak RSS {peak:.0f} MB, {what}{note}; "
                f"ratio sliceline/ours = {secs / ours:.2f}"
                + (f" (sample; per row {secs * scale / ours:.2f})" if rows != len(df) else "")
            )
    print(f"slices: {ours:.2f} s, peak {mem.peak_mb:.0f} MB, planted found {k}/{len(truth)}")


if __name__ == "__main__":
    main()
