"""Quality report against pandas, duplicates, leakage, spelling groups and standardization."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import data
from core.charts import data as charts_data
from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.errors import StoreError


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "P", "tester")


def _frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 12, n)
    x[rng.random(n) < 0.1] = np.nan
    x[:3] = [np.inf, -np.inf, np.nan]
    age = rng.integers(10, 99, n).astype(float)
    city = rng.choice(["Paris", "Rome", "Oslo", None], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    code = rng.choice(["12", "13", "x", " "], n).astype(object)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "x": x,
            "age": age,
            "city": city,
            "code": code,
            "label": rng.choice(["yes", "no"], n),
        }
    )
    # exact duplicates (ignoring the id) and near duplicates (case, spaces, rounding)
    frame.loc[10, ["x", "age", "city", "code", "label"]] = frame.loc[
        11, ["x", "age", "city", "code", "label"]
    ]
    frame.loc[20, ["x", "age", "code", "label"]] = frame.loc[21, ["x", "age", "code", "label"]]
    frame.loc[20, "x"] = 17.001
    frame.loc[21, "x"] = 17.0
    frame.loc[20, "city"], frame.loc[21, "city"] = "  PARIS", "paris"
    return frame


def test_profile_matches_pandas(store, pid):
    df = _frame()
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="tester")
    report = data.build_report(store, did, "tester")
    cols = {c["column"]: c for c in report.columns}
    for name in df.columns:
        assert cols[name]["nn"] == df[name].notna().sum(), name
        assert cols[name]["distinct"] == df[name].nunique(dropna=True), name
    finite = df["x"][np.isfinite(df["x"])]
    assert cols["x"]["mean"] == pytest.approx(finite.mean(), rel=1e-12)
    assert cols["x"]["std"] == pytest.approx(finite.std(ddof=1), rel=1e-12)
    # pandas' NaN arrives as NULL (missing); a CSV's "nan" stays NaN (see test_datasets)
    assert (cols["x"]["n_nan"], cols["x"]["n_posinf"], cols["x"]["n_neginf"]) == (
        0,
        1,
        1,
    )
    assert cols["code"]["n_blank"] == (df["code"].str.strip() == "").sum()
    assert (
        cols["code"]["n_numeric_like"] == pd.to_numeric(df["code"], errors="coerce").notna().sum()
    )
    nulls = {i.column: i.count for i in report.issues if i.kind == "nulls"}
    assert nulls == {c: int(v) for c, v in df.isna().sum().items() if v}
    assert {i.kind for i in report.issues if i.column == "code"} >= {
        "mixed_types",
        "blank",
    }
    assert any(i.kind == "identifier" and i.column == "id" for i in report.issues)
    # exact duplicates ignoring the identifier, as pandas counts them
    body = df.drop(columns="id")
    assert report.duplicates["exact_rows"] == body.duplicated().sum() >= 1
    assert report.duplicates["exact_rows_all_columns"] == df.duplicated().sum() == 0
    norm = body.assign(
        x=body["x"].round(2),
        city=body["city"].str.strip().str.lower(),
        code=body["code"].str.strip(),
    )
    assert report.duplicates["distinct_norm"] == len(norm.drop_duplicates())
    assert (
        report.duplicates["near_rows"]
        == len(body.drop_duplicates()) - len(norm.drop_duplicates())
        >= 1
    )
    assert [20, 21] in report.duplicates["near_groups"]
    # null bands add up to the null counts
    bands = pd.DataFrame(report.null_bands)
    assert bands.groupby("column")["nulls"].sum().to_dict() == df.isna().sum().to_dict()


def test_stated_ranges_and_histograms(store, pid):
    df = _frame()
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="tester")
    frame = data.column_types_frame(data.column_types(store, did, "tester"))
    frame.loc[frame["column"] == "age", ["low", "high"]] = [18, 90]
    data.save_column_settings(store, did, frame, "tester")
    report = data.build_report(store, did, "tester")
    issue = next(i for i in report.issues if i.kind == "out_of_range")
    assert issue.count == ((df["age"] < 18) | (df["age"] > 90)).sum()
    hist = report.histograms["x"]
    finite = df["x"][np.isfinite(df["x"])]
    assert sum(hist["counts"]) == len(finite)
    expected, _ = np.histogram(
        finite,
        bins=hist["bins"],
        range=(hist["low"], hist["low"] + hist["width"] * hist["bins"]),
    )
    assert hist["counts"] == expected.tolist()


def test_report_is_stored_and_read_back(store, pid):
    did = datasets_db.insert_dataset(store, pid, "d", _frame(), source="t", role="training", actor="tester")
    assert data.get_report(store, did) is None
    first = data.build_report(store, did, "tester")
    n_audit = len(projects_db.list_audit(store))
    again = data.get_report(store, did)
    assert again == first and len(projects_db.list_audit(store)) == n_audit  # read back, not rebuilt
    frame = data.column_types_frame(data.column_types(store, did))
    frame.loc[frame["column"] == "id", "type"] = "numeric"
    data.save_column_settings(store, did, frame, "tester")
    assert data.get_report(store, did) is None  # a changed type asks for a new report
    stored = data_db.get_quality_report(store, did)  # the newest, whatever its settings
    assert stored is not None and data.QualityReport.from_json(stored.report) == first
    second = data.build_report(store, did, "tester")
    assert second.params_key != first.params_key
    assert second.duplicates["exact_rows"] == 0  # the id now counts, so no row repeats


def test_leakage_across_train_and_test(store, pid):
    df = pd.DataFrame(
        {
            "a": [1, 2, 3, 1, 5, 2],
            "b": ["x", "y", "z", "x", "w", "y"],
            "target": [0, 1, 0, 1, 1, 1],
        }
    )
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="tester")
    assign = pd.DataFrame(
        {
            "row_id": range(6),
            "part": ["train"] * 3 + ["test", "test", "dev"],
            "ladder": [1.0] * 3 + [None] * 3,
        }
    )
    splits_db.insert_split(
        store, pid,
        did,
        "s",
        assign,
        method="random",
        target="target",
        params={},
        actor="tester",
    )
    report = data.build_report(store, did, "tester")
    leaks = {r["part"]: r["rows"] for r in report.leakage}
    assert leaks == {"dev": 1, "test": 1}  # the target is not compared
    assert sum(i.kind == "leakage" for i in report.issues) == 2


def test_leakage_ignores_a_split_target_not_typed_target(store, pid):
    # 'decision' is not detected as a target (its name says nothing), yet the split was
    # stratified by it: it is an output, not an input. Before the fix it was compared, and
    # the dev row (same inputs as train row 1, another outcome) was not counted.
    df = pd.DataFrame(
        {
            "a": [1, 2, 3, 1, 5, 2],
            "b": ["x", "y", "z", "x", "w", "y"],
            "decision": ["p", "q", "p", "q", "q", "p"],
        }
    )
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="tester")
    assign = pd.DataFrame(
        {
            "row_id": range(6),
            "part": ["train"] * 3 + ["test", "test", "dev"],
            "ladder": [1.0] * 3 + [None] * 3,
        }
    )
    splits_db.insert_split(store, pid, did, "s", assign, method="stratified", target="decision",
                       params={}, actor="tester")
    types = {t.column: t.type for t in data.column_types(store, did)}
    assert types["decision"] != "target"
    report = data.build_report(store, did, "tester")
    leaks = {r["part"]: r["rows"] for r in report.leakage}
    # inputs-only answer: test row 3 (1, x) and dev row 5 (2, y) repeat a train row
    inputs = df[["a", "b"]].apply(tuple, axis=1)
    train = set(inputs[:3])
    expected = {"test": int(inputs[3:5].isin(train).sum()), "dev": int(inputs[5:].isin(train).sum())}
    assert leaks == expected == {"test": 1, "dev": 1}


def test_spelling_groups_found_and_mapped_to_a_new_version(store, pid):
    city = ["NY"] * 5 + ["ny "] * 2 + ["New York"] * 3 + ["Boston"] * 4 + ["boston"] + ["Oslo"]
    df = pd.DataFrame({"city": city, "n": range(len(city))})
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="tester")
    report = data.build_report(store, did, "tester")
    groups = {g.canonical: sorted(v for v, _ in g.variants) for g in report.spelling}
    assert groups == {"NY": ["NY", "New York", "ny "], "Boston": ["Boston", "boston"]}
    frame = data.mapping_frame(report.spelling)
    assert set(frame["value"]) == {"ny ", "New York", "boston"}
    frame.loc[frame["value"] == "boston", "apply"] = False
    mapping = data.mapping_from_frame(frame)
    assert mapping == {"city": {"ny ": "NY", "New York": "NY"}}
    new_id = data.standardize(store, did, mapping, name="d_std", actor="tester")
    new = datasets_db.get_dataset(store, new_id)
    assert new.parent_id == did and new.n_rows == len(df)
    out = datasets_db.dataset_frame(store, new_id, with_row_id=True)
    assert out["city"].tolist() == ["NY"] * 10 + ["Boston"] * 4 + ["boston", "Oslo"]
    assert out["n"].tolist() == df["n"].tolist()  # row order (row identity) kept
    assert datasets_db.dataset_frame(store, did)["city"].tolist() == city  # the original is kept
    with pytest.raises(StoreError, match="No value is selected"):
        data.standardize(store, did, {"city": {}}, name="x", actor="tester")


def test_spelling_does_not_merge_distinct_codes():
    groups = data.find_spelling_groups(
        {
            "c": [
                ("type_10", 5),
                ("type_11", 5),
                ("North", 3),
                ("South", 3),
                ("fire", 2),
                ("fine", 2),
            ]
        }
    )
    assert groups == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.integers(1, 50)),
        max_size=25,
        unique_by=lambda t: t[0],
    )
)
def test_spelling_groups_partition_values_and_respect_keys(values):
    groups = data.find_spelling_groups({"c": values})
    seen = [v for g in groups for v, _ in g.variants]
    assert len(seen) == len(set(seen))  # a value is in at most one group
    group_of = {v: i for i, g in enumerate(groups) for v, _ in g.variants}
    by_key: dict[str, set[str]] = {}
    for v, _ in values:
        if data.normalize_key(v):
            by_key.setdefault(data.normalize_key(v), set()).add(v)
    for same in by_key.values():  # equal keys always share a group
        if len(same) > 1:
            assert len({group_of.get(v) for v in same}) == 1 and None not in {
                group_of.get(v) for v in same
            }
    for g in groups:
        assert g.canonical == g.variants[0][0]


def test_charts_are_labelled(store, pid):
    did = datasets_db.insert_dataset(store, pid, "d", _frame(), source="t", role="training", actor="tester")
    report = data.build_report(store, did, "tester")
    for col in ("x", "city", "id"):
        fig = charts_data.distribution_figure(report, col)
        assert col in fig.layout.title.text and fig.layout.yaxis.title.text
    heat = charts_data.null_heatmap_figure(report)
    assert heat.layout.title.text.startswith("Missing values")
    assert heat.layout.xaxis.title.text == "column"
    assert list(heat.data[0].x) == list(_frame().columns)


def test_column_checks_run_in_table_order_and_all_null_stands_alone():
    from core.data.quality_checks import COLUMN_CHECKS, column_issues

    text = {"column": "c", "kind": "string", "type": "categorical", "rule": "", "nn": 90,
            "distinct": 1, "min": "x", "n_blank": 3, "n_padded": 2, "n_numeric_like": 0}  # fmt: skip
    kinds = [i.kind for i in column_issues(text, 100, [("x", 90)])]
    assert kinds == ["nulls", "constant", "blank", "padded"]
    assert [i.kind for i in column_issues({**text, "nn": 0}, 100, [])] == ["all_null"]
    target = {**text, "type": "target", "n_blank": 0, "n_padded": 0}
    assert [i.kind for i in column_issues(target, 90, [])] == ["one_class"]
    assert all(i.column == "c" for i in column_issues(text, 100, []))
    assert len(COLUMN_CHECKS) == len({c.__name__ for c in COLUMN_CHECKS})
