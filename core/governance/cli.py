"""The report command: ``python -m core.report --project P [--html PATH] [--pdf PATH]
[--card PATH]`` writes the stakeholder report (HTML, PDF) and the model card (Markdown) of a
project from what the store holds. Exit 0 when written, 2 when it could not run (unknown
project, no chromium for the PDF, a path that cannot be written), with a message."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.db import projects as projects_db
from core.db.database import Database
from core.errors import StoreError


def main(argv: list[str] | None = None) -> int:
    """Write a project's stakeholder report and model card from the store."""
    from core import config

    ap = argparse.ArgumentParser(prog="python -m core.report", description=main.__doc__)
    ap.add_argument("--db", default=str(config.resolve_path("WORKBENCH_DB")),
                    help="workbench database (default: WORKBENCH_DB)")
    ap.add_argument("--project", required=True, help="project name")
    ap.add_argument("--html", type=Path, help="write the self-contained HTML report here")
    ap.add_argument("--pdf", type=Path, help="write the PDF report here (needs chromium)")
    ap.add_argument("--card", type=Path, help="write the model card (Markdown) here")
    args = ap.parse_args(argv)
    if not (args.html or args.pdf or args.card):
        print("error: nothing to write: give --html, --pdf and/or --card with a path.",
              file=sys.stderr)
        return 2
    try:
        store = Database(args.db)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _write(store, args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _write(store: Database, args: argparse.Namespace) -> int:
    from core.governance.card import model_card
    from core.governance.facts import collect_facts
    from core.governance.report import chromium_path, report_html, report_pdf

    match = [p for p in projects_db.list_projects(store) if p.name == args.project]
    if not match:
        names = ", ".join(repr(p.name) for p in projects_db.list_projects(store)) or "none"
        raise StoreError(f"No project named {args.project!r} in {store.path} (projects: {names}).")
    if args.pdf:
        chromium_path()  # fail before the work when the PDF cannot be printed
    facts = collect_facts(store, match[0].id)
    page = report_html(facts)
    outputs = {args.html: lambda: page.encode("utf-8"),
               args.card: lambda: model_card(facts).encode("utf-8"),
               args.pdf: lambda: report_pdf(page)}
    for path, content in outputs.items():
        if path is None:
            continue
        try:
            path.write_bytes(content())
        except OSError as exc:
            raise StoreError(f"Cannot write {path}: {exc.strerror or exc}. Choose a writable "
                             "path.") from exc
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    for part, why in facts.missing.items():
        print(f"note: {part} not shown: {why}")
    return 0
