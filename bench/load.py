"""Concurrency load: N sessions writing at the same moment through the functions the pages
call, on one store (one server process, one connection, a cursor per operation).

    python -m bench.load --sessions 16            # on a freshly seeded demo database
    python -m bench.load --sessions 16 --db PATH  # on a copy you made of a database

Each session is a thread with its own editor identity. All start together (a barrier) and
each does, once: save the brief (a new version), register a model (the demo's finished
runs, several sessions on the same run), tag the same three rows with the same tag, label
items of one labeling queue (its own item and a shared one), load a dataset under a name
every session uses, create a labels set and a split under other shared names, and
acknowledge the same open alert. A write either is stored or is refused with a message (``WorkbenchError``);
anything else is a crash, printed with its traceback. Then the store is checked: every
stored write is there once, version numbers are 1..n without gaps, each "create if absent"
made one row.

The last line is ``load: <tried> writes tried, <stored> stored, <refused> refused with a
message, <crashed> crashed, <lost> lost in <s> s``.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import data, monitoring, scoping
from core.access import Actor, Role
from core.analysis.drill import tag_rows
from core.analysis.source import SliceSource, source_for_run
from core.db.database import Database
from core.errors import WorkbenchError
from core.labeling import queue as label_queue
from core.training import registry

TAG = "load-test"
SHARED_DATASET = "load_shared"
SHARED_LABELS = "load_labels"
SHARED_SPLIT = "load_split"
CSV = b"size,colour\n1,red\n2,blue\n3,red\n"


@dataclass
class LoadReport:
    """What each kind of write did: {kind: Counter(stored=, refused=, crashed=)}."""

    outcomes: dict[str, Counter] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock = threading.Lock()

    def record(self, kind: str, outcome: str, text: str = "") -> None:
        with self.lock:
            self.outcomes.setdefault(kind, Counter())[outcome] += 1
            if outcome == "crashed":
                self.crashes.append(text)
            elif outcome == "refused":
                self.refusals.append(f"{kind}: {text}")

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.outcomes.values())

    def lines(self) -> list[str]:
        out = [f"{'write':<22}{'tried':>6}{'stored':>8}{'refused':>9}{'crashed':>9}"]
        for kind, c in sorted(self.outcomes.items()):
            tried = c["stored"] + c["refused"] + c["crashed"]
            out.append(f"{kind:<22}{tried:>6}{c['stored']:>8}{c['refused']:>9}{c['crashed']:>9}")
        tried = self.total("stored") + self.total("refused") + self.total("crashed")
        out.append(
            f"load: {tried} writes tried, {self.total('stored')} stored, "
            f"{self.total('refused')} refused with a message, {self.total('crashed')} crashed, "
            f"{len(self.lost)} lost in {self.seconds:.1f} s"
        )
        return out


@dataclass(frozen=True)
class Fixture:
    """What the sessions write against (found in the demo project)."""

    project_id: int
    runs: list[int]
    source: SliceSource
    rows: list[int]
    queue_id: int
    items: list[str]
    alert_id: int
    dataset_id: int
    id_column: str


def prepare(store: Database, sessions: int) -> Fixture:
    """A labeling queue on the demo's training data, the runs to register, an open alert."""
    from core import projects

    admin = Actor("load-admin", Role.ADMIN)
    pid = next(p.id for p in projects.list_projects(store) if p.is_demo)
    from core.db import training as training_db  # read-only lookup of the finished runs

    runs = [r.id for r in training_db.list_runs(store, pid)
            if r.status == "done" and r.artifact_path]
    champion = registry.get_champion(store, pid)
    assert champion is not None, "the demo has a champion"
    run = training_db.get_run(store, champion.run_id)
    assert run is not None and run.dataset_id is not None
    source = source_for_run(store, run.id, "dev")
    ds = data.get_dataset(store, run.dataset_id)
    id_column = label_queue.id_columns(store, ds.id)[0]
    items = label_queue.sample_items(store, ds.id, id_column, sessions + 1, seed=7)
    queue_id = label_queue.create_label_queue(
        store, pid, "load queue", dataset_id=ds.id, id_column=id_column,
        choices=["yes", "no"], columns=[id_column], item_ids=items, source="load test",
        actor=admin,
    )
    for v in registry.list_versions(store, pid):  # so every run with a model can be registered
        if v.status == "active":
            registry.archive(store, v.id, admin)
    alerts = monitoring.open_alerts(store, pid)
    assert len(alerts), "the demo has open alerts"
    return Fixture(pid, runs, source, [0, 1, 2], queue_id, items, int(alerts["id"].iloc[0]),
                   ds.id, id_column)


def _writes(store: Database, fx: Fixture, i: int, who: Actor) -> list[tuple[str, Callable]]:
    brief = scoping.get_brief(store, fx.project_id)
    assert brief is not None
    import pandas as pd

    frame = pd.DataFrame({"item_id": [fx.items[0]], "annotator": [who.name], "label": ["yes"],
                          "labeled_at": [None]})
    return [
        ("brief", lambda: scoping.save_brief(store, fx.project_id, brief.brief, who,
                                             note=f"session {i}")),
        ("model version", lambda: _register_and_archive(store, fx.runs[i % len(fx.runs)], who)),
        ("tag", lambda: tag_rows(store, fx.source, fx.rows, TAG, who)),
        ("label (own item)", lambda: label_queue.submit_label(
            store, fx.queue_id, fx.items[i + 1], "yes", who)),
        ("label (shared item)", lambda: label_queue.submit_label(
            store, fx.queue_id, fx.items[0], "no" if i % 2 else "yes", who)),
        ("dataset (shared name)", lambda: data.ingest_upload(
            store, fx.project_id, "shared.csv", CSV, name=SHARED_DATASET, actor=who)),
        ("labels set (shared)", lambda: _import_labels(store, fx, frame, who)),
        ("split (shared name)", lambda: data.create_split(
            store, fx.project_id, fx.dataset_id, SHARED_SPLIT, actor=who, method="random",
            seed=i)),
        ("acknowledgement", lambda: monitoring.acknowledge_alert(store, fx.alert_id, who)),
    ]


def _register_and_archive(store: Database, run_id: int, who: Actor) -> None:
    """Register a run (refused while it has an active version), then archive that version,
    so the sessions keep adding versions to one project."""
    registry.archive(store, registry.register(store, run_id, who), who)


def _import_labels(store: Database, fx: Fixture, frame: Any, who: Actor) -> int:
    from core.db import labeling as labeling_db

    return labeling_db.insert_label_set(
        store, fx.project_id, SHARED_LABELS, frame, item_dataset_id=fx.dataset_id,
        item_id_column=fx.id_column, source="load test", actor=who)


def run_load(store: Database, sessions: int = 16, timeout: float = 300.0) -> LoadReport:
    """Every session's writes at once; returns what happened and what the store holds."""
    fx = prepare(store, sessions)
    report = LoadReport()
    start = threading.Barrier(sessions)
    before = _snapshot(store, fx)

    def session(i: int) -> None:
        who = Actor(f"user{i:02d}@example.org", Role.EDITOR)
        writes = _writes(store, fx, i, who)
        start.wait(timeout)
        for kind, write in writes:
            try:
                write()
            except WorkbenchError as exc:
                report.record(kind, "refused", str(exc).splitlines()[0])
            except Exception:  # a crash is the finding: keep its traceback
                report.record(kind, "crashed", traceback.format_exc())
            else:
                report.record(kind, "stored")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, timeout - (time.perf_counter() - t0)))
    report.seconds = time.perf_counter() - t0
    if any(t.is_alive() for t in threads):
        report.lost.append(f"sessions still running after {timeout:.0f} s")
    report.lost += _check(store, fx, before, _snapshot(store, fx), report, sessions)
    return report


def _snapshot(store: Database, fx: Fixture) -> dict[str, Any]:
    def one(sql: str, params: list[Any]) -> Any:
        return store.rows(sql, params)

    pid = fx.project_id
    return {
        "briefs": one("SELECT version FROM scoping_briefs WHERE project_id = ? ORDER BY 1", [pid]),
        "versions": one("SELECT version FROM model_versions WHERE project_id = ? ORDER BY 1",
                        [pid]),
        "tags": one("SELECT count(*) FROM slice_tags WHERE project_id = ? AND tag = ?",
                    [pid, TAG])[0][0],
        "labels": one("SELECT annotator, item_id, count(*) FROM labels WHERE label_set_id = ?"
                      " AND version = (SELECT max(version) FROM label_versions"
                      " WHERE label_set_id = ?) GROUP BY ALL", [fx.queue_id, fx.queue_id]),
        "datasets": one("SELECT count(*) FROM datasets WHERE project_id = ? AND name = ?",
                        [pid, SHARED_DATASET])[0][0],
        "label_sets": one("SELECT count(*) FROM label_sets WHERE project_id = ? AND name = ?",
                          [pid, SHARED_LABELS])[0][0],
        "splits": one("SELECT count(*) FROM splits WHERE project_id = ? AND name = ?",
                      [pid, SHARED_SPLIT])[0][0],
        "acked": one("SELECT status FROM alerts WHERE id = ?", [fx.alert_id])[0][0],
    }


def _check(store: Database, fx: Fixture, before: dict[str, Any], after: dict[str, Any],
           report: LoadReport, sessions: int) -> list[str]:
    """What the store holds against what the sessions were told was stored."""
    lost = []
    stored = {k: c["stored"] for k, c in report.outcomes.items()}

    def expect(ok: bool, what: str) -> None:
        if not ok:
            lost.append(what)

    briefs = [v for (v,) in after["briefs"]]
    expect(len(briefs) - len(before["briefs"]) == stored.get("brief", 0),
           f"briefs: {stored.get('brief', 0)} saved, {len(briefs) - len(before['briefs'])} stored")
    expect(briefs == list(range(1, len(briefs) + 1)), f"brief versions not 1..n: {briefs}")
    versions = [v for (v,) in after["versions"]]
    expect(len(versions) - len(before["versions"]) == stored.get("model version", 0),
           f"model versions: {stored.get('model version', 0)} registered, "
           f"{len(versions) - len(before['versions'])} stored")
    expect(versions == list(range(1, len(versions) + 1)), f"versions not 1..n: {versions}")
    active = store.rows("SELECT run_id, count(*) FROM model_versions WHERE project_id = ?"
                        " AND status = 'active' GROUP BY ALL HAVING count(*) > 1", [fx.project_id])
    expect(not active, f"runs with two active versions: {active}")
    expect(after["tags"] - before["tags"] == len(fx.rows), f"tags: {after['tags']} rows")
    counts = {(a, i): n for a, i, n in after["labels"]}
    expect(all(n == 1 for n in counts.values()), "a reviewer has two labels of one item")
    expect(sum(1 for (a, _i) in counts if a.startswith("user")) == 2 * sessions,
           f"labels: {len(counts)} (reviewer, item) pairs for {2 * sessions} submitted")
    expect(after["datasets"] == 1 == stored.get("dataset (shared name)", 0),
           f"shared dataset stored {after['datasets']} times")
    expect(after["label_sets"] == 1 == stored.get("labels set (shared)", 0),
           f"shared labels set stored {after['label_sets']} times")
    expect(after["splits"] == 1 == stored.get("split (shared name)", 0),
           f"shared split stored {after['splits']} times")
    expect(after["acked"] == "acknowledged" and stored.get("acknowledgement") == 1,
           f"acknowledgements stored {stored.get('acknowledgement')}")
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--db", help="a database holding the demo project (changed!)")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.db:
        store = Database(Path(args.db))
    else:
        from core.demo import seed_demo

        store = Database(Path(tempfile.mkdtemp(prefix="wb-load-")) / "load.duckdb")
        print("seeding the demo project…", flush=True)
        seed_demo(store)
    try:
        report = run_load(store, args.sessions, args.timeout)
    finally:
        store.close()
    for text in report.crashes:
        print(text)
    for text in sorted(set(report.refusals)):
        print("refused:", text)
    for text in report.lost:
        print("LOST:", text)
    print("\n".join(report.lines()))
    return 1 if report.crashes or report.lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
