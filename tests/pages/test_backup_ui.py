"""Backup and restore on the Overview: download the project's archive, import it as a new
project, and a changed archive refused with a message naming the file."""

from __future__ import annotations

import zipfile
from io import BytesIO

from tests.pages.helpers import errors
from ui.state import PROJECT_ID


def _archive(app) -> bytes:
    app.button(key="home.backup_prepare").click().run()
    assert not errors(app)
    return app.session_state["home.backup_bytes"][1]


def test_download_then_import_as_a_new_project(app):
    demo_id = app.session_state[PROJECT_ID]
    data = _archive(app)
    assert zipfile.ZipFile(BytesIO(data)).read("manifest.json")
    assert app.get("download_button")
    app.file_uploader(key="home.restore_upload").set_value(
        ("claims.workbench.zip", data, "application/zip")).run()
    app.button(key="home.restore").click().run()
    assert not errors(app)
    assert app.session_state[PROJECT_ID] != demo_id
    assert any(h.value == "Claims triage (demo) (imported 1)" for h in app.header)
    assert any("Imported claims.workbench.zip as project" in s.value for s in app.success)
    catalog = next(d.value for d in app.dataframe if "name" in d.value.columns)
    assert len(catalog) == 3


def test_a_changed_archive_is_refused_with_the_files_name(app):
    data = _archive(app)
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "tables/scoping_briefs.parquet":
                body = body[:-40] + bytes(40)
            dst.writestr(info.filename, body)
    app.file_uploader(key="home.restore_upload").set_value(
        ("edited.zip", out.getvalue(), "application/zip")).run()
    app.button(key="home.restore").click().run()
    assert not errors(app)
    assert any("The file edited.zip cannot be imported" in e.value and "SHA-256" in e.value
               for e in app.error)
    app.file_uploader(key="home.restore_upload").set_value(
        ("notes.zip", b"just text", "application/zip")).run()
    app.button(key="home.restore").click().run()
    assert any("notes.zip cannot be imported: it is not a zip archive" in e.value
               for e in app.error)
