"""The message of an alert: what a policy saw in one window, in words a reader can act on
(:func:`message`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.monitoring.policies import PolicyConfig, default_policies, row_hits
from core.monitoring.settings import MonitorSettings


def message(name: str, cfg: PolicyConfig, w: pd.DataFrame, s: MonitorSettings,
            top: list[str], where: str) -> tuple[Any, str, str | None, str]:
    """(the result row the alert shows, its check, its column, the message) of policy
    ``name`` in window ``w`` (its result rows); ``where`` names the window."""
    cfgs = {**default_policies(s), name: cfg}
    hits = row_hits(w, s, top, cfgs)
    metric = str(s.primary_metric or "accuracy")
    if name in ("decay confirmed", "drift and estimated decay", "estimated decay only (naive)"):
        return _decay(name, cfg, w, s, hits, metric, where)
    if name == "dataset drift":
        return _dataset(cfg, w, where)
    if name == "output drift":
        row = w[w["metric"] == "score_psi"].iloc[0]
        limit = cfg.threshold if cfg.threshold is not None else row["threshold"]
        return (row, "score_psi", None,
                f"{where}: the model's output distribution moved against the reference: "
                f"score PSI {row['value']:.3g} > {limit:.3g} (no labels needed).")
    if name == "error-stream detector":
        d = w[w["kind"] == "detector"].drop_duplicates("metric")
        msg = ("Change in the error rate: " + "; ".join(
            f"{m} {n}" for m, n in d[["metric", "note"]].itertuples(index=False)) + ".")
        return d.iloc[0], str(d.iloc[0]["metric"]), None, msg
    if name == "any drifted column (naive)":
        d = w[hits[name]]
        return (d.iloc[0], "drift", None,
                f"{where}: drifted {', '.join(sorted(d['column_name'].astype(str)))}.")
    others = w[hits[name]]
    row = others.iloc[0]
    what = "; ".join(
        (f"{m} {v:.2%}" if m in ("availability", "error_rate") or m.endswith("share")
         else f"{m} {v:.3g}") + (f" on {c}" if isinstance(c, str) else "")
        for m, v, c in others[["metric", "value", "column_name"]].head(4).itertuples(index=False)
    )
    return row, str(row["metric"]), row["column_name"], f"{where}: {what}."


def _decay(name: str, cfg: PolicyConfig, w: pd.DataFrame, s: MonitorSettings,
           hits: dict[str, pd.Series], metric: str, where: str
           ) -> tuple[Any, str, str | None, str]:
    from core.scoping.vocabulary import METRICS

    prefix = "realized" if name == "decay confirmed" else "estimated"
    row = w[w["metric"] == f"{prefix}_{metric}"].iloc[0]
    target = cfg.threshold if cfg.threshold is not None else s.primary_floor
    target = float("nan") if target is None else float(target)
    below = METRICS.get(metric, True)
    gap = f"below floor {target:.3f}" if below else f"above its target {target:.3f}"
    span = (f"for {cfg.persistence} windows up to {_up_to(where)}" if cfg.persistence > 1
            else f"in {_up_to(where)}")
    if name == "decay confirmed":
        msg = (f"Realized {metric} {row['value']:.3f} {gap} {span}: the model decays "
               "(concept drift?).")
        return row, f"realized_{metric}", None, msg
    if name == "estimated decay only (naive)":
        return row, f"estimated_{metric}", None, f"Estimated {metric} {row['value']:.3f} {gap} {span}."
    cols = sorted(set(w.loc[hits["top drift"], "column_name"].astype(str)))
    word = "below" if below else "above"
    msg = (f"Top features drifted ({', '.join(cols)}) and estimated {metric} "
           f"{row['value']:.3f} is {word} {target:.3f} {span}.")
    return row, f"estimated_{metric}", ", ".join(cols), msg


def _dataset(cfg: PolicyConfig, w: pd.DataFrame, where: str
             ) -> tuple[Any, str, str | None, str]:
    from core.monitoring.drift import DRIFT_SHARE

    d = w[(w["kind"] == "drift") & w["flagged"].notna()]
    drifted = d[d["flagged"].astype(bool)]
    share = len(drifted) / len(d)
    limit = DRIFT_SHARE if cfg.threshold is None else float(cfg.threshold)
    names = sorted(drifted["column_name"].astype(str))
    listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    row = pd.Series({"value": share, "threshold": limit})
    return (row, "share_drifted", None,
            f"{where}: {len(drifted)} of {len(d)} monitored features drifted ({share:.0%}, "
            f"at least {limit:.0%}): {listed}.")


def _up_to(where: str) -> str:
    """ "Week of 2025-03-03" -> "the week of 2025-03-03"; "Rows 1–500" -> "rows 1–500"."""
    text = where[:1].lower() + where[1:]
    return f"the {text}" if " of " in text and not text.startswith("the ") else text
