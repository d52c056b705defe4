"""Gate runs (data, model, deploy) with their checks, append-only; and the one set-based
pass the data gate needs beyond the profiles: values outside a widened reference range."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.datasets import require_dataset
from core.db.rows import select_list, typed_row

CHECK_COLUMNS = ["position", "check_group", "name", "status", "value", "threshold", "detail"]


@dataclass(frozen=True)
class GateRunRow:
    """A ``gate_runs`` row, its JSON columns decoded."""

    id: int
    project_id: int
    gate: str
    subject: str
    subject_ref: dict[str, Any]
    verdict: str
    exit_code: int
    settings: dict[str, Any]
    summary: dict[str, Any]
    source: str
    created_at: datetime
    created_by: str


def insert_gate_run(db: Database, project_id: int, actor: str, *, gate: str, subject: str,
                    subject_ref: dict[str, Any], verdict: str, exit_code: int,
                    settings: dict[str, Any], summary: dict[str, Any], source: str,
                    checks: pd.DataFrame) -> int:
    """Store a gate run and its checks (``CHECK_COLUMNS``) in one transaction; its id."""
    with db.write(actor, "gate", "gate_run", project_id=project_id,
                  detail={"gate": gate, "verdict": verdict, **subject_ref}) as (cur, audit):
        (gid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        audit["entity_id"] = gid
        cur.execute(
            f"INSERT INTO gate_runs ({_RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [gid, project_id, gate, subject, json.dumps(subject_ref, default=str), verdict,
             int(exit_code), json.dumps(settings, default=str),
             json.dumps(summary, default=str), source, utcnow(), actor])
        frame = checks[CHECK_COLUMNS].astype({"value": float, "threshold": float})
        with registered(cur, _gate_checks=frame):
            cur.execute(
                "INSERT INTO gate_checks SELECT ?, position, check_group, name, status, value,"
                " threshold, detail FROM _gate_checks", [gid])
    return int(gid)


_RUN_COLS = select_list(GateRunRow)


def _run(row: tuple) -> GateRunRow:
    return typed_row(GateRunRow, row, ("subject_ref", "settings", "summary"))


def list_gate_runs(db: Database, project_id: int, gate: str | None = None,
                   limit: int = 50) -> list[GateRunRow]:
    """A project's gate runs (of one gate if given), newest first."""
    sql = f"SELECT {_RUN_COLS} FROM gate_runs WHERE project_id = ?"
    params: list[Any] = [project_id]
    if gate:
        sql += " AND gate = ?"
        params.append(gate)
    rows = db.rows(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*params, int(limit)])
    return [_run(r) for r in rows]


def get_gate_run(db: Database, gate_run_id: int) -> GateRunRow | None:
    rows = db.rows(f"SELECT {_RUN_COLS} FROM gate_runs WHERE id = ?", [gate_run_id])
    return _run(rows[0]) if rows else None


def gate_checks(db: Database, gate_run_id: int) -> pd.DataFrame:
    """A gate run's checks in the order they ran."""
    return db.df(f"SELECT {', '.join(CHECK_COLUMNS)} FROM gate_checks WHERE gate_run_id = ?"
                 " ORDER BY position", [gate_run_id])


def range_violations(db: Database, reference_id: int, candidate_id: int, columns: list[str],
                     tolerance: float) -> pd.DataFrame:
    """Per numeric column: the reference's min and max, the range widened by ``tolerance``
    times its span on each side, and the candidate's non-null values and those outside it.

    Two set-based passes (one aggregate per column over each table)."""
    cols = ["column", "ref_min", "ref_max", "low", "high", "n", "outside", "cand_min",
            "cand_max"]
    if not columns:
        return pd.DataFrame(columns=cols)
    ref = qident(require_dataset(db, reference_id).table_name)
    cand = qident(require_dataset(db, candidate_id).table_name)
    agg = ", ".join(f"min({qident(c)})::DOUBLE, max({qident(c)})::DOUBLE" for c in columns)
    (bounds,) = db.rows(f"SELECT {agg} FROM {ref}")
    rows, parts, params = [], [], []
    for i, c in enumerate(columns):
        lo, hi = bounds[2 * i], bounds[2 * i + 1]
        span = (hi - lo) if lo is not None and hi is not None else 0.0
        low = None if lo is None else lo - tolerance * span
        high = None if hi is None else hi + tolerance * span
        rows.append([c, lo, hi, low, high])
        q = qident(c)
        parts.append(f"count({q}), count(*) FILTER (WHERE {q}::DOUBLE < ? OR {q}::DOUBLE > ?),"
                     f" min({q})::DOUBLE, max({q})::DOUBLE")
        params += [low, high]
    (counts,) = db.rows(f"SELECT {', '.join(parts)} FROM {cand}", params)
    for i, row in enumerate(rows):
        row += list(counts[4 * i: 4 * i + 4])
    return pd.DataFrame(rows, columns=cols)
