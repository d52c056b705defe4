"""Overview (app.py): approvals, the model card and report export, and the guided tour."""

from __future__ import annotations


def _text(at) -> str:
    return " ".join([*(m.value for m in at.markdown), *(c.value for c in at.caption)])


def _button_keys(at) -> set[str]:
    return {b.key for b in at.button} | {b.key for b in at.get("form_submit_button")}


def test_every_gate_is_shown_with_who_approved_it(app):
    assert not app.exception
    assert any(s.value == "Approvals" for s in app.subheader)
    text = _text(app)
    for gate in ("Brief go", "Data version accepted", "Model promoted to champion", "Rollout go"):
        assert f"**{gate}**" in text
    # the demo's sign-offs: every gate approved, by its owner
    assert text.count("● approved") == 4 and "not approved" not in text
    for who in ("claims.director", "data.steward", "ml.lead", "ops.lead"):
        assert f"by {who}" in text


def test_approve_a_data_version_from_the_overview(app):
    app.selectbox(key="home.approve.gate").set_value("data").run()
    assert not app.exception
    assert app.selectbox(key="home.approve.subject.data").value is not None
    # without a comment: a message that says what to do, nothing stored
    app.button(key="home.approve").click().run()
    assert not app.exception
    assert any("write a comment" in e.value for e in app.error)
    app.text_area(key="home.approve.comment").input("Nulls, ranges and balance checked.")
    app.button(key="home.approve").click().run()
    assert not app.exception
    text = _text(app)
    assert "Nulls, ranges and balance checked." in text
    assert app.dataframe  # the approval history


def test_limitations_and_model_card_export(app):
    app.text_area(key="home.limitations_text").input("   ")
    app.get("form_submit_button")[1].click().run()  # 0 is "Create project"
    assert not app.exception
    assert any("Limitations: write at least one sentence" in e.value for e in app.error)
    app.text_area(key="home.limitations_text").input("Not for commercial claims.")
    app.get("form_submit_button")[1].click().run()
    assert not app.exception and any("Limitations saved" in s.value for s in app.success)
    app.button(key="home.build_report").click().run()
    assert not app.exception
    downloads = app.get("download_button")
    assert len(downloads) == 2  # card and HTML; the PDF is printed on request
    card = next(m.value for m in app.markdown if m.value.startswith("# Model card"))
    assert "Not for commercial claims." in card and "## Approvals" in card
    assert "home.build_pdf" in _button_keys(app)


def test_tour_walks_the_story_read_only(app):
    app.button(key="home.tour").click().run()
    assert not app.exception
    seen, charts = [], {}
    for _ in range(20):
        seen.append(app.header[0].value)
        charts[seen[-1].split(":")[0]] = len(app.get("plotly_chart"))
        # read-only: the tour's own buttons and nothing else that could write
        assert _button_keys(app) <= {"tour.back", "tour.next", "tour.end"}, _button_keys(app)
        assert not app.text_input and not app.text_area and not app.get("download_button")
        assert app.info, "each stop says what to look at"
        if "tour.next" not in _button_keys(app):
            break
        app.button(key="tour.next").click().run()
        assert not app.exception, seen[-1]
    assert seen[0] == "Overview: The lifecycle at a glance"
    pages = [s.split(":")[0] for s in seen]
    assert pages == ["Overview", "Scoping", "Data", "Labeling", "Training", "Error analysis",
                     "Deployment", "Monitoring", "Overview"]
    assert charts["Training"] == 1 and charts["Error analysis"] == 1
    assert charts["Deployment"] == 2  # the rehearsals compared, and one timeline
    assert "4 of 4 gates approved now" in app.info[0].value  # the last stop: governance
    app.button(key="tour.back").click().run()
    assert app.header[0].value.startswith("Monitoring")
    app.button(key="tour.end").click().run()
    assert not app.exception
    assert any("Claims triage" in h.value for h in app.header)
    assert "home.tour" in _button_keys(app)


def test_brief_asks_for_approvals_and_the_training_page_refuses_a_promotion(app):
    app.switch_page("pages/1_Scoping.py").run()
    assert not app.exception
    assert app.checkbox(key="scoping.require_approvals").value is False
    app.checkbox(key="scoping.require_approvals").check()
    app.get("form_submit_button")[0].click().run()
    assert not app.exception and any("as version 3" in s.value for s in app.success)
    # the brief changed: its approval no longer holds
    app.switch_page("app.py").run()
    text = _text(app)
    assert "✕ invalidated: evidence changed" in text and "the brief changed since" in text
    assert "The brief requires approvals before a model becomes champion" in text
    # the challenger has no approval: promoting it is refused with what is missing
    app.switch_page("pages/4_Training.py").run()
    box = app.selectbox(key="training.version")
    box.select_index(next(i for i, o in enumerate(box.options) if o.endswith("challenger"))).run()
    app.button(key="training.reg.champion").click().run()
    assert not app.exception
    refusal = " ".join(e.value for e in app.error)
    assert "requires approvals before promotion" in refusal
    assert "Brief go" in refusal and "Model promoted to champion" in refusal
