"""Data page: the "Add data" panel (upload, path, bundled sample) and the load's job.

A load runs as a job (``core.data.load_jobs``): reading the file, writing the table, the
quality report. The page follows its stored progress; leaving the page stops only the
following, and back on the page (this session, or another while it runs) the load is
followed again and its outcome shown once: the new dataset selected with the reader's
messages (renames, encoding, delimiter, through ``FLASH``), or the error naming the file.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import config, data
from core import jobs as core_jobs
from core.data import load_jobs
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.projects import add_sample_dataset
from ui import jobs
from ui.text import literal, message

DATASET, FLASH = "data.dataset_id", "data.flash"  # plain keys: they survive page switches
JOB, SHOWN = "data.ingest_job", "data.ingest_shown"  # this session's load; its outcome shown
HEADER = {"auto": None, "yes": True, "no": False}


def follow_load(store: Database, project: ProjectRow, user: str) -> None:
    """Follow the user's load still running (started in this session or another tab), or
    show once the outcome of this session's load that ended while the user was away.
    Another person's load is only mentioned: the page does not wait for it."""
    job_id = jobs.pending(store, JOB, project.id, load_jobs.KIND)
    if job_id is not None and job_id != st.session_state.get(JOB):
        other = core_jobs.get_job(store, job_id)
        if other is not None and other.created_by != user:
            st.caption(f"{literal(other.created_by)} is {literal(other.title.lower())} "
                       f"({other.fraction:.0%}: {literal(other.message or 'queued')}).")
            job_id = None
    if job_id is None:
        job_id = st.session_state.get(JOB)
        if job_id is None or st.session_state.get(SHOWN) == job_id:
            return
    found = core_jobs.get_job(store, job_id)
    if found is None or found.project_id != project.id:
        return
    job = jobs.follow(store, job_id, literal(found.title), show_error=False)
    if job is None or job.active:
        return
    st.session_state[JOB] = st.session_state[SHOWN] = job.id
    if job.status == "done" and job.result:
        st.session_state[DATASET] = job.result["dataset_id"]
        st.session_state[FLASH] = (job.result["headline"], list(job.result.get("messages", [])))
        st.rerun()
    st.error(message(job.error or f"Loading {found.title} {job.status}; nothing was stored."),
             icon=":material/error:")


def _submit(submit: Any, *args: Any, **kwargs: Any) -> None:
    """Submit a load job and remember it as this session's (a refusal before the job, e.g.
    an upload over the size limit, is shown at once)."""
    try:
        st.session_state[JOB] = submit(*args, **kwargs)
    except StoreError as exc:
        st.error(message(exc), icon=":material/error:")


def render_add_data(store: Database, project: ProjectRow, user: str, expanded: bool) -> None:
    """Upload a CSV/Parquet file, name a file on the server (local use) or add a sample;
    then follow the load (see :func:`follow_load`)."""
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
        kwargs = _load_settings(source_name)
        if st.button(
            "Load",
            key="data.load",
            type="primary",
            icon=":material/download:",
            disabled=not source_name,
        ):
            if upload is not None:
                _submit(load_jobs.submit_upload, store, project.id, upload.name, upload,
                        actor=user, **kwargs)
            else:
                _submit(load_jobs.submit_path, store, project.id, path.strip(), actor=user,
                        **kwargs)
    follow_load(store, project, user)


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
        _submit(load_jobs.submit_load, store, project.id, sample,
                lambda p: add_sample_dataset(store, project.id, sample, user), actor=user)


def _load_settings(source_name: str) -> dict[str, Any]:
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
    return {"name": name, "role": role, "options": options}
