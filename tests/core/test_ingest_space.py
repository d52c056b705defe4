"""A failed or killed large load gives its space back (the database file returns to about its
size before the load), and a write that runs out of space says so in words and keeps what
was stored before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core import data, jobs
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.errors import IngestError

ROOT = Path(__file__).resolve().parents[2]
BLOCK = 256 * 1024  # DuckDB's block size: the file grows and shrinks by whole blocks
SLACK = 4 * BLOCK  # the failure's audit row and job marks, and the checkpoint's metadata


def _late_break(path: Path, n: int) -> Path:
    """A CSV of ``n`` good rows whose last line has too many fields: DuckDB has written
    most of the table when it reaches it."""
    with open(path, "w") as fh:
        fh.write("n,half,word\n")
        fh.writelines(f"{i},{i * 0.5},w{i % 97}\n" for i in range(n))
        fh.write("1,2,3,4,5\n")
    return path


def test_repeated_late_failures_leave_the_file_at_its_size(store, tmp_path):
    pid = projects_db.create_project(store, "Space", "tester")
    bad = _late_break(tmp_path / "late break.csv", 2_000_000)
    store.rows("CHECKPOINT")
    sizes = [store.path.stat().st_size]
    audit = store.rows("SELECT count(*) FROM audit_log")
    for _ in range(3):
        with pytest.raises(IngestError, match=r"Line 2000002 of late break\.csv"):
            data.ingest_path(store, pid, bad, name="late", actor="tester")
        sizes.append(store.path.stat().st_size)
    # before: the first failure left the partial table's blocks in the file (2.1 -> 12.3 MB
    # here); now each failure is followed by a checkpoint that truncates them
    assert all(size <= sizes[0] + SLACK for size in sizes), sizes
    assert datasets_db.list_datasets(store, pid) == []
    assert store.rows("SELECT count(*) FROM audit_log") == audit  # nothing stored
    assert "__workbench_reclaim" not in store.table_names()
    good = tmp_path / "good.csv"
    good.write_text("n,half\n" + "".join(f"{i},{i / 3}\n" for i in range(1000)))
    assert data.ingest_path(store, pid, good, name="good", actor="tester").n_rows == 1000


KILLED = r"""
import os, sys
from core.db import jobs as jobs_db
from core.db.database import Database
s = Database(sys.argv[1])
jobs_db.start_job(s, jobs_db.insert_job(s, "ingest", "Loading big.csv", "w"))
with s.cursor() as cur:  # a load's CREATE TABLE AS, written but not committed
    cur.begin()
    cur.execute("CREATE TABLE ds_999 AS SELECT range AS a, range * 0.5 AS b, 'w' || (range % 97)"
                " AS c FROM range(3000000)")
    os.kill(os.getpid(), signal.SIGKILL)
""".replace("import os, sys", "import os, signal, sys")


def test_a_load_killed_mid_write_gives_its_blocks_back_at_the_next_start(tmp_path):
    db = tmp_path / "killed.duckdb"
    s = Database(db)
    pid = projects_db.create_project(s, "Space", "tester")
    s.close()
    before = db.stat().st_size
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", KILLED, str(db)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    killed = db.stat().st_size
    assert killed > before + 8 * BLOCK  # the uncommitted table's blocks are in the file
    s = Database(db)  # the restart: the job is marked, the table is not there
    try:
        (job,) = jobs.list_jobs(s)
        assert job.status == "interrupted"
        assert "ds_999" not in s.table_names()
        assert projects_db.list_projects(s)[0].id == pid
        # before: the file kept the killed load's blocks until some later checkpoint
        assert db.stat().st_size <= before + SLACK, (before, killed, db.stat().st_size)
    finally:
        s.close()


FULL = r"""
import json, resource, signal, sys
from core.data import ingest_path
from core.db import projects as projects_db
from core.db.database import Database
from core.errors import StoreError
s = Database(sys.argv[1])
pid = projects_db.list_projects(s)[0].id
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG
said = {}
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), resource.RLIM_INFINITY))
try:
    ingest_path(s, pid, sys.argv[2], name="too big", actor="w")
except StoreError as exc:
    said["ingest"] = [type(exc).__name__, str(exc)]
resource.setrlimit(resource.RLIMIT_FSIZE, (100, resource.RLIM_INFINITY))  # nothing fits now
try:
    projects_db.create_project(s, "next write", "w")
except StoreError as exc:
    said["next"] = [type(exc).__name__, str(exc)]
s.close()
print(json.dumps(said))
"""


def test_a_full_disk_is_said_in_words_and_keeps_what_was_stored(tmp_path):
    import json

    db = tmp_path / "full.duckdb"
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("k,v\n" + "".join(f"{i},{i * 2}\n" for i in range(100)))
    s = Database(db)
    pid = projects_db.create_project(s, "Space", "tester")
    kept = data.ingest_path(s, pid, earlier, name="earlier", actor="tester")
    s.close()
    big = _late_break(tmp_path / "big.csv", 1_000_000)
    big.write_text(big.read_text().rsplit("1,2,3,4,5\n", 1)[0])  # a good file, too big
    limit = db.stat().st_size + (1 << 20)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", FULL, str(db), str(big), str(limit)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    said = json.loads(proc.stdout.strip().splitlines()[-1])
    full = f"the disk holding {db} is full — free space and try again; nothing was stored."
    # before: "big.csv could not be loaded: IO Error: Could not write file ...: File too
    # large", and the next write a raw duckdb.IOException
    assert said["ingest"] == ["IngestError", f"big.csv was not loaded: {full}"]
    assert said["next"] == ["DiskFullError", full[0].upper() + full[1:]]
    s = Database(db)  # reopens, with what was stored before intact
    try:
        assert [p.name for p in projects_db.list_projects(s)] == ["Space"]
        (ds,) = datasets_db.list_datasets(s, pid)
        assert (ds.name, ds.n_rows, ds.content_hash) == ("earlier", 100, kept.content_hash)
        assert datasets_db.dataset_frame(s, ds.id)["v"].sum() == 2 * sum(range(100))
        assert data.ingest_path(s, pid, earlier, name="again", actor="tester").n_rows == 100
    finally:
        s.close()


def test_an_upload_that_does_not_fit_in_the_temporary_folder_is_said_in_words(
        store, monkeypatch):
    import errno
    import io
    import tempfile

    from core.data import ingest as ingest_mod

    def full(src, dst, length=0):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ingest_mod.shutil, "copyfileobj", full)
    pid = projects_db.create_project(store, "Space", "tester")
    before = set(Path(tempfile.gettempdir()).glob("workbench_upload_*"))
    with pytest.raises(IngestError) as info:
        data.ingest_upload(store, pid, "sales 2025.csv", io.BytesIO(b"a,b\n1,2\n"), name="s",
                           actor="tester")
    assert str(info.value) == (
        f"sales 2025.csv was not loaded: the disk holding the temporary folder "
        f"{tempfile.gettempdir()} is full — free space and try again; nothing was stored.")
    assert set(Path(tempfile.gettempdir()).glob("workbench_upload_*")) == before
    assert datasets_db.list_datasets(store, pid) == []
