"""A run exported in MLflow's file-store layout, so it can be imported into MLflow as is."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

from core.db import training as training_db
from core.db.database import Database
from core.training.runs import get_run


def export_run(store: Database, run_id: int) -> bytes:
    """A run as a zip in MLflow's file-store layout: params/, metrics/, tags/ and meta.json.

    Each ``metrics/<part>.<metric>[.<class>]`` file holds MLflow's "timestamp value step"
    line, each ``params/<name>`` the value as text; tags carry the data version, the
    features and the library versions, so the run can be imported into MLflow as is.
    """
    run = get_run(store, run_id)
    ts = int(pd.Timestamp(run.created_at).timestamp() * 1000)
    root = f"run_{run.id}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in run.params.items():
            z.writestr(
                f"{root}/params/{k}", json.dumps(v) if isinstance(v, dict | list) else str(v)
            )
        for k, v in run.preprocessing.items():
            z.writestr(f"{root}/params/preprocessing.{k}", str(v))
        z.writestr(f"{root}/params/seed", str(run.seed))
        for _, m in training_db.run_metrics(store, [run.id]).iterrows():
            name = f"{m['part']}.{m['metric']}" + (f".{m['class']}" if pd.notna(m["class"]) else "")
            z.writestr(f"{root}/metrics/{_safe(name)}", f"{ts} {m['value']!r} 0\n")
        tags = {
            "mlflow.runName": run.name,
            "mlflow.user": run.created_by,
            "mlflow.source.name": "ML Production Workbench",
            "mlflow.parentRunId": run.parent_id,
            "model_kind": run.model_kind,
            "run_type": run.run_type,
            "status": run.status,
            "target": run.target,
            "positive_class": run.positive_class,
            "task_type": run.task_type,
            "dataset_id": run.dataset_id,
            "dataset_hash": run.dataset_hash,
            "split_id": run.split_id,
            "split_hash": run.split_hash,
            "features": json.dumps(run.features),
            "library_versions": json.dumps(run.library_versions),
            "artifact_sha256": run.artifact_sha256,
            "error": run.error,
        }
        for k, v in tags.items():
            if v is not None:
                z.writestr(f"{root}/tags/{k}", str(v))
        meta = {
            "run_id": str(run.id),
            "run_name": run.name,
            "status": run.status.upper(),
            "start_time": ts,
            "end_time": ts + int((run.duration_s or 0) * 1000),
            "user_id": run.created_by,
            "lifecycle_stage": "active",
        }
        z.writestr(f"{root}/meta.json", json.dumps(meta, indent=2, default=str))
    return buf.getvalue()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)
