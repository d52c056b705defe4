"""Data page: the "Add data" panel (upload, path, bundled sample) and the ingest status.

The load runs inside ``st.status`` with DuckDB's own progress; the quality report is built
right after, so the new dataset opens with its report. Messages (renames, encoding,
delimiter) are shown after the rerun through ``FLASH``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core import config, data
from core.data.ingest import IngestResult
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.progress import Progress
from core.projects import add_sample_dataset
from ui.text import literal, message

DATASET, FLASH = "data.dataset_id", "data.flash"  # plain keys: they survive page switches
HEADER = {"auto": None, "yes": True, "no": False}

Load = Callable[[Progress], IngestResult | int]  # a load, given a progress callback


def run_ingest(store: Database, user: str, load: Load, label: str) -> None:
    """Load (a callable taking a progress callback), build the quality report, select it."""
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        try:
            result = load(progress)
        except StoreError as exc:
            status.update(label="Nothing was stored", state="error", expanded=True)
            st.error(message(exc), icon=":material/error:")
            return
        did = result if isinstance(result, int) else result.dataset_id
        messages = [] if isinstance(result, int) else list(result.messages)
        try:
            data.build_report(store, did, user, progress=progress)
        except Exception as exc:  # noqa: BLE001 - the data is stored; the report can be rebuilt
            messages.append(f"The quality report could not be built ({exc}); rebuild it below.")
        status.update(label="Loaded", state="complete", expanded=False)
    ds = data.get_dataset(store, did)
    st.session_state[DATASET] = did
    headline = (
        f"Loaded {ds.n_rows:,} rows and {ds.n_cols} columns (data version {ds.content_hash})."
    )
    st.session_state[FLASH] = (headline, messages)
    st.rerun()


def render_add_data(store: Database, project: ProjectRow, user: str, expanded: bool) -> None:
    """Upload a CSV/Parquet file, name a file on the server (local use) or add a sample."""
    with st.expander("Add data", icon=":material/upload_file:", expanded=expanded):
        upload_tab, path_tab, sample_tab = st.tabs(
            ["Upload a file", "File on the server", "Bundled sample"]
        )
        with upload_tab:
            upload = st.file_uploader(
                "CSV or Parquet file",
                type=["csv", "tsv", "txt", "parquet", "gz"],
                key="data.upload",
                max_upload_size=config.max_upload_mb(),
                help="Largest file: WORKBENCH_MAX_UPLOAD_MB.",
            )
        with path_tab:
            path = _path_input()
        with sample_tab:
            _add_sample(store, project, user)
        source_name = upload.name if upload is not None else path
        kwargs = _load_settings(source_name, user)
        if not st.button(
            "Load",
            key="data.load",
            type="primary",
            icon=":material/download:",
            disabled=not source_name,
        ):
            return
        if upload is not None:
            run_ingest(
                store,
                user,
                lambda p: data.ingest_upload(
                    store, project.id, upload.name, upload, progress=p, **kwargs
                ),
                f"Loading {literal(upload.name)}…",
            )
        else:
            run_ingest(
                store,
                user,
                lambda p: data.ingest_path(store, project.id, path.strip(), progress=p, **kwargs),
                f"Loading {literal(path)}…",
            )


def _path_input() -> str:
    """A path on the server, only when WORKBENCH_DATA_DIRS allows a folder (core checks
    the path again: this only spares the user a field that cannot work)."""
    folders = config.data_dirs()
    if not folders:
        st.info(
            "Loading by path on the server is off on this instance "
            f"(WORKBENCH_MODE={config.mode()}, no folder in WORKBENCH_DATA_DIRS); upload "
            "the file instead."
        )
        return ""
    return st.text_input(
        "Path of a CSV or Parquet file on this machine",
        key="data.path",
        help="For big files: DuckDB reads it in place, nothing is uploaded. Only files "
        "under these folders (WORKBENCH_DATA_DIRS): " + ", ".join(str(f) for f in folders),
    )


def _add_sample(store: Database, project: ProjectRow, user: str) -> None:
    sample = st.selectbox(
        "Sample", list(data.SAMPLES), format_func=lambda s: data.SAMPLES[s], key="data.sample"
    )
    if st.button("Add sample", key="data.add_sample", icon=":material/dataset:"):
        run_ingest(
            store,
            user,
            lambda p: add_sample_dataset(store, project.id, sample, user),
            f"Adding {sample}…",
        )


def _load_settings(source_name: str, user: str) -> dict[str, Any]:
    """Name, role and the CSV reading options (the sniffer's guesses unless chosen)."""
    c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2])
    name = c1.text_input(
        "Dataset name",
        value=data.default_name(source_name) if source_name else "",
        key=f"data.name.{source_name}",
    )
    role = c2.selectbox("Role", data.DATASET_ROLES, key="data.role")
    delim = c3.selectbox("Delimiter", list(data.DELIMITERS), key="data.delimiter")
    encoding = c4.selectbox(
        "Encoding",
        data.ENCODINGS,
        key="data.encoding",
        help="'mixed' repairs files whose lines mix UTF-8 and Windows-1252.",
    )
    header = c5.selectbox("Header row", list(HEADER), key="data.header")
    options = data.CsvOptions(data.DELIMITERS[delim], encoding, HEADER[header])
    return {"name": name, "role": role, "actor": user, "options": options}
