"""Error analysis figures: titles, labelled axes, legends, and what they leave out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import analysis as S
from core.charts import analysis as C
from core.db.database import Database


def _table(store: Database) -> S.SliceTable:
    rng = np.random.default_rng(4)
    n = 1500
    df = pd.DataFrame(
        {
            "route_band": rng.choice(["near", "mid", "far"], n).astype(object),
            "y_true": rng.integers(0, 2, n),
        }
    )
    df.loc[0, "route_band"] = "orbital"  # a 1-row slice
    df["y_pred"] = np.where(rng.uniform(size=n) < 0.2, 1 - df["y_true"], df["y_true"])
    src = S.frame_source(df, positive_class="1")
    return S.compute_slice_metrics(
        store, src, S.plan_columns(store, src, ["route_band"]).specs, metric="recall"
    )


def test_priority_and_column_charts_show_the_metric_and_leave_small_slices_unranked(
    store: Database,
):
    t = _table(store)
    fig = C.priority_chart(t)
    assert "orbital" not in " ".join(fig.data[0].y)  # too small to rank
    assert len(fig.data[0].y) == len(t.ranked)
    assert fig.layout.title.text and "Recall" in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.title.text == "Slice"
    col = C.column_chart(t, "route_band")
    names = [tr.name for tr in col.data]
    assert names == ["Recall", f"Recall, under {t.min_size:,} rows (not ranked)"]
    assert list(col.data[1].x) == ["orbital"] and col.layout.showlegend
    assert col.layout.xaxis.title.text == "route_band" and col.layout.yaxis.title.text == "Recall"


def test_discovery_chart_of_a_regression_uses_rmse(store: Database):
    found = S.Discovery(
        pd.DataFrame(
            {
                "rank": [1],
                "label": ["depot = D2"],
                "level": [1],
                "slice": [[]],
                "size": [80],
                "rmse": [3.0],
                "score": [1.2],
                "lift": [2.0],
            }
        ),
        {"task": "regression"},
        {"n": 400, "errors": 400 * 4.0},
    )
    fig = C.discovery_chart(found, found.mean_error)
    assert fig.layout.yaxis.title.text == "RMSE in the slice"
    assert list(fig.data[0].y) == [3.0]
    assert "RMSE 2.000" in fig.layout.annotations[0].text  # sqrt of the mean squared error 4
