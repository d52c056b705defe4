"""Synthetic tables generated in SQL, for the benchmarks (no download)."""

from __future__ import annotations

from core.db import datasets as datasets_db
from core.db.clock import utcnow
from core.db.database import Database, qident


def create_drift_benchmark(db: Database, project_id: int, rows: int, actor: str, seed: int = 42
) -> tuple[int, int]:
    """Generate the drift benchmark's reference and current tables (20 columns each).

    15 numeric columns (normal, lognormal, uniform, integer counts) and 5 categorical
    ones; the current side shifts a third of them. Generated in DuckDB so that 10M rows
    never pass through Python.
    """
    ids = []
    for side, shift in (("reference", 0.0), ("current", 1.0)):
        with db.write(actor, "create", "dataset", project_id=project_id,
                         detail={"name": f"bench_{side}", "rows": rows}) as (cur, audit):
            (did,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            table = f"ds_{did}"
            cur.execute("SELECT setseed(?)", [0.1 if side == "reference" else 0.2])
            z = "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"
            cols = []
            for i in range(15):
                s = shift if i % 3 == 0 else 0.0
                kind = i % 4
                if kind == 0:
                    cols.append(f"{10 * i} + {1 + i} * ({z} + {0.2 * s}) AS num_{i}")
                elif kind == 1:
                    cols.append(f"exp(0.8 * {z} + {0.3 * s}) * 1000 AS num_{i}")
                elif kind == 2:
                    cols.append(f"random() * {100 + 10 * s} AS num_{i}")
                else:
                    cols.append(f"floor(-ln(1 - random()) * {3 + s})::BIGINT AS num_{i}")
            for j in range(5):
                k = [3, 8, 20, 50, 200][j]
                extra = 1 if (shift and j % 2 == 0) else 0
                cols.append(f"'cat' || floor(random() * {k + extra})::BIGINT AS cat_{j}")
            cur.execute(
                f"CREATE TABLE {qident(table)} AS SELECT {', '.join(cols)} FROM range(?)",
                [int(rows)],
            )
            n_rows, n_cols, digest = datasets_db._dataset_hash(db, cur, table)
            cur.execute(
                "INSERT INTO datasets (id, project_id, name, source, role, n_rows, n_cols,"
                " content_hash, table_name, parent_id, note, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?, ?)",
                [did, project_id, f"bench_{side}", "generated", "reference"
                 if side == "reference" else "production", n_rows, n_cols, digest, table,
                 utcnow(), actor],
            )
            audit["entity_id"] = did
        ids.append(int(did))
    return ids[0], ids[1]
