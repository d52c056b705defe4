"""Monitoring from a scheduler while the server runs: a spool folder next to the database.

DuckDB lets one process write a database file, so while the server holds it the command
line cannot open it. Instead the command line drops its request (its arguments, as JSON)
into ``<database>.spool/`` and waits for the answer; the server's spool thread drains the
folder, runs each request as a job (``core.jobs``, kind ``monitor``) through the same code
as a direct run, and writes the answer (exit code, standard output and error) beside it.

Files, all written to a temporary name first and renamed, so a reader never sees half:

* ``server.json``: the draining server's pid and heartbeat (refreshed every poll);
* ``<id>.request.json``: ``{"argv": [...]}``; renamed ``<id>.claimed.json`` when taken;
* ``<id>.result.json``: ``{"exit_code": 0, "stdout": "...", "stderr": "...", "job_id": 7}``.

A request claimed by a server that was killed is answered at the next start with exit
code 2 ("interrupted: run it again"), never run twice behind the caller's back.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.db.database import Database
from core.progress import Progress

POLL = 1.0  # seconds between two looks at the spool folder
STALE = 15.0  # a heartbeat older than this: no server drains the folder
HEARTBEAT = "server.json"
Handler = Callable[[Database, list[str], Progress], tuple[int, str, str]]

_SPOOLS: dict[int, _Spool] = {}
_LOCK = threading.Lock()


def spool_dir(db_path: str | Path) -> Path:
    """The spool folder of a database file."""
    return Path(str(Path(db_path).resolve()) + ".spool")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_alive(db_path: str | Path) -> bool:
    """Whether a live server process drains this database's spool folder."""
    beat = spool_dir(db_path) / HEARTBEAT
    try:
        info = json.loads(beat.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return time.time() - float(info.get("at", 0)) < STALE and _pid_alive(int(info.get("pid", -1)))


def submit_and_wait(db_path: str | Path, argv: list[str], timeout: float) -> tuple[int, str, str]:
    """Spool a request and wait for its answer: (exit code, stdout, stderr)."""
    folder = spool_dir(db_path)
    rid = f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    _write_json(folder / f"{rid}.request.json", {"argv": argv, "sent_at": time.time()})
    result = folder / f"{rid}.result.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.exists():
            answer = json.loads(result.read_text(encoding="utf-8"))
            result.unlink(missing_ok=True)
            return int(answer["exit_code"]), answer.get("stdout", ""), answer.get("stderr", "")
        if not server_alive(db_path):
            time.sleep(POLL)  # a last look: the answer may have landed as the server stopped
            if not result.exists():
                _withdraw(folder, rid)
                return 2, "", (f"error: the workbench server holding {db_path} stopped before "
                               "answering; run the command again.\n")
        time.sleep(0.2)
    _withdraw(folder, rid)
    return 2, "", (f"error: no answer from the workbench server holding {db_path} within "
                   f"{timeout:.0f} s; see its Overview's jobs, or raise --wait.\n")


def _withdraw(folder: Path, rid: str) -> None:
    """Take back a request nobody claimed (a claimed one runs on: its job is on record)."""
    (folder / f"{rid}.request.json").unlink(missing_ok=True)


class _Spool:
    """The thread that drains one database's spool folder into jobs."""

    def __init__(self, store: Database, handler: Handler):
        self.store, self.handler = store, handler
        self.folder = spool_dir(store.path)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._stop = threading.Event()
        self._answer_orphans()
        self._thread = threading.Thread(target=self._loop, name="workbench-spool", daemon=True)
        self._thread.start()

    def _answer_orphans(self) -> None:
        for claimed in self.folder.glob("*.claimed.json"):
            rid = claimed.name.removesuffix(".claimed.json")
            _write_json(self.folder / f"{rid}.result.json", {
                "exit_code": 2, "stdout": "",
                "stderr": "error: interrupted: the workbench server stopped while running "
                          "this request; run it again.\n"})
            claimed.unlink(missing_ok=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                _write_json(self.folder / HEARTBEAT, {"pid": os.getpid(), "at": time.time()})
                for request in sorted(self.folder.glob("*.request.json")):
                    self._take(request)
            except OSError:
                pass  # the folder vanished or is not writable: look again next time
            self._stop.wait(POLL)

    def _take(self, request: Path) -> None:
        from core import jobs

        rid = request.name.removesuffix(".request.json")
        claimed = self.folder / f"{rid}.claimed.json"
        try:
            os.replace(request, claimed)
            argv = [str(a) for a in json.loads(claimed.read_text(encoding="utf-8"))["argv"]]
        except (OSError, ValueError, KeyError, TypeError):
            claimed.unlink(missing_ok=True)
            return
        holder: dict[str, int] = {}

        def work(progress: Progress) -> dict[str, Any]:
            try:
                code, out, err = self.handler(self.store, argv, progress)
            except Exception as exc:  # noqa: BLE001 - the caller waits for an answer
                code, out, err = 2, "", f"error: {type(exc).__name__}: {exc}\n"
            _write_json(self.folder / f"{rid}.result.json", {
                "exit_code": code, "stdout": out, "stderr": err, "job_id": holder.get("id")})
            claimed.unlink(missing_ok=True)
            if code != 0:
                raise RuntimeError((err.strip().splitlines() or [f"exit code {code}"])[-1])
            return {"request": rid, "exit_code": code}

        try:
            holder["id"] = jobs.submit(self.store, "monitor", "Monitoring (scheduler)", work,
                                       actor="scheduler", params={"argv": argv})
        except Exception as exc:  # noqa: BLE001 - e.g. shutting down: answer, never drop
            _write_json(self.folder / f"{rid}.result.json", {
                "exit_code": 2, "stdout": "", "stderr": f"error: {exc}\n"})
            claimed.unlink(missing_ok=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        (self.folder / HEARTBEAT).unlink(missing_ok=True)


def start_spool(store: Database, handler: Handler | None = None) -> None:
    """Drain ``store``'s spool folder from now on (once per database and process)."""
    if handler is None:
        from core.monitoring.cli import serve

        handler = serve
    with _LOCK:
        if id(store) not in _SPOOLS:
            _SPOOLS[id(store)] = _Spool(store, handler)


def stop_spool(store: Database) -> None:
    with _LOCK:
        found = _SPOOLS.pop(id(store), None)
    if found is not None:
        found.stop()
