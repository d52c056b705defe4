from __future__ import annotations

import streamlit as st

from core import labeling as L
from core.db import labeling as labeling_db
from core.db import projects as projects_db
from core.db.database import Database
from tests.pages.helpers import errors

PAGE = "pages/3_Labeling.py"


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_labeling_page_shows_the_demo_agreement(app):
    app.switch_page(PAGE).run()
    assert not errors(app)
    assert _metric(app, "Annotators") == "3"
    assert _metric(app, "Items") == "1,500"
    assert _metric(app, "Krippendorff's alpha") == "0.480"
    assert len(app.get("plotly_chart")) >= 3  # heatmap, per-class bars, confusion, HLP
    assert app.selectbox(key="labeling.queue_item").options


def test_set_a_consensus_label_updates_queue_and_consensus(app, app_env):
    app.switch_page(PAGE).run()
    queue_before = int(_metric(app, "In the relabel queue"))
    with_consensus = int(_metric(app, "Items with a consensus").replace(",", ""))
    item = app.selectbox(key="labeling.queue_item").value
    # the first item is a tie (most split), so it has no consensus yet
    app.selectbox(key="labeling.decision_label").set_value("1")
    app.text_input(key="labeling.decision_reason").input("rule 4: when unsure, review")
    app.button(key="labeling.decide").click().run()
    assert not errors(app)
    assert int(_metric(app, "In the relabel queue")) == queue_before - 1
    assert int(_metric(app, "Items with a consensus").replace(",", "")) == with_consensus + 1
    assert _metric(app, "Reviewer decisions") == "1"
    assert item not in app.selectbox(key="labeling.queue_item").options
    assert "latest (v2)" in app.selectbox(key="labeling.version").options
    st.cache_resource.clear()  # release the database so it can be opened here
    s = Database(app_env)
    try:
        (ls,) = L.list_label_sets(s, projects_db.list_projects(s)[0].id)
        assert labeling_db.latest_label_version(s, ls.id) == 2
        assert labeling_db.label_decisions(s, ls.id, 1).empty  # the old version is kept as it was
        d = labeling_db.label_decisions(s, ls.id)
        assert d[["item_id", "label", "reason"]].values.tolist() == [
            [item, "1", "rule 4: when unsure, review"]
        ]
    finally:
        s.close()


def test_decision_without_reason_is_refused(app):
    app.switch_page(PAGE).run()
    app.button(key="labeling.decide").click().run()
    assert not errors(app)
    assert any("reason" in e.value for e in app.error)
    assert _metric(app, "Reviewer decisions") == "0"


def test_label_errors_run_and_send_to_queue(app):
    app.switch_page(PAGE).run()
    queue_before = int(_metric(app, "In the relabel queue"))
    app.button(key="labeling.err_run").click().run()
    assert not errors(app)
    flagged = int(_metric(app, "Suspected label errors").replace(",", ""))
    assert flagged > 0
    sent = app.multiselect(key="labeling.err_send").value
    assert len(sent) == 10
    app.button(key="labeling.err_queue").click().run()
    assert not errors(app)
    assert any("10 item(s) sent" in s.value for s in app.success)
    app.run()
    after = int(_metric(app, "In the relabel queue"))
    assert queue_before < after <= queue_before + 10  # some were disagreements already


def test_hlp_and_instructions(app):
    app.switch_page(PAGE).run()
    assert any("ground truth (needs_review)" in m.label for m in app.metric)
    if not app.button(key="labeling.write_hlp").disabled:
        app.button(key="labeling.write_hlp").click().run()
        assert not errors(app)
        assert any("written into the scoping baselines" in s.value for s in app.success)
    app.text_area(key="labeling.instructions").input("# New rules\n\n1. Be consistent.")
    app.text_input(key="labeling.instructions_note").input("simplified")
    app.button(key="labeling.save_instructions").click().run()
    assert not errors(app)
    assert any("version 2" in s.value for s in app.success)


def test_import_a_wide_csv_with_one_annotator_and_bad_files(app):
    app.switch_page(PAGE).run()
    up = app.get("file_uploader")[0]
    up.set_value(("bad.csv", b"", "text/csv")).run()
    app.button(key="labeling.import").click().run()
    assert not errors(app)
    assert any("empty" in e.value for e in app.error)
    up = app.get("file_uploader")[0]
    up.set_value(("solo.csv", b"id,ana\n1,a\n2,b\n3,a\n", "text/csv")).run()
    app.text_input(key="labeling.import_name").input("solo")
    app.button(key="labeling.import").click().run()
    assert not errors(app)
    assert any("Imported 3 labels" in s.value for s in app.success)
    assert app.selectbox(key="labeling.set").value != 1
    assert any("undefined with fewer than two annotators" in w.value for w in app.warning)


def test_label_three_items_in_the_app_and_see_the_counts(app_env):
    import numpy as np
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    from core.db import datasets as datasets_db
    from tests.pages.conftest import ROOT

    rng = np.random.default_rng(2)
    plots = pd.DataFrame(
        {
            "plot_code": [f"P{i:03d}" for i in range(40)],
            "petal_width": rng.normal(1.2, 0.3, 40).round(2),
            "bloom_colour": rng.choice(["white", "violet"], 40),
            "species_tag": rng.choice(["setosa", "virginica", "versicolor"], 40),
        }
    )
    s = Database(app_env)
    try:
        pid = projects_db.list_projects(s)[0].id
        datasets_db.insert_dataset(
            s, pid, "garden_plots", plots, source="t", role="training", actor="t"
        )
    finally:
        s.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(PAGE).run()
    assert not errors(at)
    dsel = at.selectbox(key="labeling.q_dataset")
    dsel.select_index(dsel.options.index("garden_plots")).run()
    truth_key = _key(at.selectbox, "labeling.q_truth.")
    truth = at.selectbox(key=truth_key)
    truth.select_index(truth.options.index("species_tag")).run()
    assert at.selectbox(key=truth_key.replace("q_truth", "q_id")).value == "plot_code"
    choices = at.text_input(key=_key(at.text_input, "labeling.q_choices."))
    assert sorted(str(choices.value).split(", ")) == ["setosa", "versicolor", "virginica"]
    columns = at.multiselect(key=_key(at.multiselect, "labeling.q_columns."))
    assert columns.value == ["petal_width", "bloom_colour"]  # never the ground truth
    at.number_input(key="labeling.q_n").set_value(5)
    at.text_input(key="labeling.q_name").input("garden review")
    at.button(key="labeling.q_create").click().run()
    assert not errors(at)
    assert any("Queue of 5 item(s)" in x.value for x in at.success), [e.value for e in at.error]
    assert _metric(at, "Items in the queue") == "5" and _metric(at, "Labelled by you") == "0"
    seen = []
    for _ in range(3):
        features = next(
            d.value for d in at.dataframe if list(d.value.columns) == ["feature", "value"]
        )
        assert set(features["feature"]) == {"petal_width", "bloom_colour"}
        seen.append(next(m.value for m in at.markdown if m.value.startswith("**Item ")))
        at.button(key="labeling.task_label.0").click().run()
        assert not errors(at)
    assert len(set(seen)) == 3  # each click moved on to the next item
    assert _metric(at, "Labelled by you") == "3"
    assert _metric(at, "Labels by everyone") == "3"
    assert _metric(at, "Items") == "3" and _metric(at, "Annotators") == "1"
    at.button(key="labeling.task_skip").click().run()
    assert not errors(at)
    assert _metric(at, "Labelled by you") == "3"
    # reopen the first item and change its label: still one label per reviewer per item
    pick = at.selectbox(key="labeling.task_pick")
    assert len(pick.options) == 4  # "next item to label" and the three labelled items
    pick.set_value(pick.options[1].split(" ")[0]).run()  # the raw item id
    at.button(key="labeling.task_label.1").click().run()
    assert not errors(at)
    assert _metric(at, "Labelled by you") == "3" and _metric(at, "Labels by everyone") == "3"


def _key(widgets, prefix: str) -> str:
    """The key of the one widget whose key starts with ``prefix`` (keys carry ids)."""
    return next(str(w.key) for w in widgets if str(w.key).startswith(prefix))


def test_a_refused_import_names_the_users_file(app):
    """A file read well but refused by the import (an annotator labelled an item twice)
    names the file, as the reader's refusals do."""
    app.switch_page(PAGE).run()
    up = app.get("file_uploader")[0]
    up.set_value(("twice rated.csv", b"item_id,annotator,label\n1,ana,a\n1,ana,b\n",
                  "text/csv")).run()
    app.button(key="labeling.import").click().run()
    assert not errors(app)
    shown = " ".join(e.value for e in app.error)
    assert "twice rated.csv" in shown and "more than once" in shown, shown
