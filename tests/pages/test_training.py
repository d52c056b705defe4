from __future__ import annotations

from tests.pages.helpers import errors

PAGE = "pages/4_Training.py"


def test_page_shows_demo_runs_and_registry(app):
    app.switch_page(PAGE).run()
    assert not errors(app)
    runs = app.dataframe[0].value
    assert {"Gradient boosting (champion)", "Logistic regression (challenger)"} <= set(runs["name"])
    assert "v2 (champion)" in set(runs["registered"])
    # the report card of the newest run compares with baselines and the scoping targets
    assert (
        app.selectbox(key="training.run").value
        == runs.loc[runs["registered"] == "v2 (champion)", "run"].iloc[0]
    )
    verdicts = next(d.value for d in app.dataframe if "verdict" in d.value.columns)
    assert set(verdicts["verdict"]) >= {"pass"}
    assert len(app.get("plotly_chart")) >= 4


def test_train_a_run_on_the_demo_split(app):
    app.switch_page(PAGE).run()
    app.selectbox(key="training.model.classification").set_value(
        next(
            o for o in app.selectbox(key="training.model.classification").options if "Logistic" in o
        )
    )
    app.text_input(key="training.name").input("my first model")
    app.button(key="training.train").click().run()
    assert not errors(app)
    assert any("Run #" in s.value and "done" in s.value for s in app.success), [
        e.value for e in app.error
    ]
    names = set(app.dataframe[0].value["name"])
    assert "my first model" in names
    # register it from its report card
    assert app.selectbox(key="training.run").value == max(app.dataframe[0].value["run"])
    app.button(key="training.register").click().run()
    assert not errors(app)
    assert any("Registered as version 3" in s.value for s in app.success)


def _pick_logistic(app):
    box = app.selectbox(key="training.model.classification")
    box.set_value(next(o for o in box.options if "Logistic" in o))


def test_a_bad_setting_shows_the_failed_run(app):
    app.switch_page(PAGE).run()
    _pick_logistic(app)  # unlike boosting, it cannot take missing values
    app.selectbox(key="training.pre.numeric_impute").set_value("none")
    app.button(key="training.train").click().run()
    assert not errors(app)
    assert any("failed" in e.value and "NaN" in e.value for e in app.error)


def test_search_and_learning_curve(app):
    app.switch_page(PAGE).run()
    app.selectbox(key="training.model.classification").set_value(
        next(
            o for o in app.selectbox(key="training.model.classification").options if "Logistic" in o
        )
    )
    app.run()
    app.text_input(key="training.s.logistic_regression.C").input("0.1, 1")
    app.button(key="training.search").click().run()
    assert not errors(app)
    assert any("Best trial" in s.value for s in app.success)
    app.button(key="training.curve").click().run()
    assert not errors(app)
    assert app.selectbox(key="training.curve_pick").value is not None
