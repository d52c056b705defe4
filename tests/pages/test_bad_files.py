"""The bad-file corpus through the upload widgets of the Data and Labeling pages: each file
gets one message naming it, no traceback, and nothing is stored."""

from __future__ import annotations

import pytest

from core.data.ingest import upload_name
from tests.data.bad_files import BAD_FILES
from tests.pages.helpers import errors
from ui.text import literal

SHOWN = ["empty.csv", "binary.csv", "ragged rows.csv", "spaces and \u00fcnic\u00f8de \u540d\u524d.csv",
         "../../etc/escape.csv", "![img](http%3A%2F%2Fhost%2Fp.png).csv", "truncated.parquet",
         "only delimiters.csv", "huge single line.csv"]


@pytest.mark.parametrize("page", ["data", "labeling"])
def test_bad_uploads_are_named_and_store_nothing(app, page):
    path, upload, button, listing = {
        "data": ("pages/2_Data.py", "data.upload", "data.load", "data.dataset"),
        "labeling": ("pages/3_Labeling.py", "labeling.upload", "labeling.import", "labeling.set"),
    }[page]
    app.switch_page(path).run()
    assert not errors(app)
    before = list(app.selectbox(key=listing).options)
    # the Labeling uploader takes .csv/.txt only (the browser refuses other suffixes)
    for name in [n for n in SHOWN if page == "data" or n.endswith(".csv")]:
        app.file_uploader(key=upload).set_value((name, BAD_FILES[name], "text/csv")).run()
        app.button(key=button).click().run()
        assert not errors(app), name
        shown = " ".join(e.value for e in app.error)
        assert literal(upload_name(name)) in shown, (name, shown)
        assert list(app.selectbox(key=listing).options) == before, name
