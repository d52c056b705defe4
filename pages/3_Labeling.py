"""Labeling: annotator agreement, the relabel queue, suspected label errors and HLP."""

import streamlit as st

from core import labeling as L
from core.charts import labeling as charts
from core.db import labeling as labeling_db
from core.errors import StoreError
from ui import labeling, session

ctx = session.page(
    "Labeling",
    ":material/label:",
    "How consistent are the labels? Measure agreement between annotators, settle "
    "disagreements in the relabel queue, find suspected label errors with a cross-validated "
    "model and measure human-level performance (HLP) as the baseline to beat.",
)
store, project, user = ctx.store, ctx.project, ctx.user
with st.expander(
    "Import labels",
    icon=":material/upload:",
    expanded=not labeling_db.list_label_sets(store, project.id),
):
    labeling.render_import(store, project, user)

sets = {s.id: s for s in L.list_label_sets(store, project.id)}
if not sets:
    st.info("This project has no labels yet: import a CSV of annotators' labels above.")
    st.stop()

c1, c2 = st.columns([2, 1])
set_id = c1.selectbox(
    "Labels set", list(sets), format_func=lambda i: sets[i].name, key="labeling.set"
)
ls = sets[set_id]
latest = labeling_db.latest_label_version(store, ls.id)
version = (
    c2.selectbox(
        "Version",
        [0, *range(latest, 0, -1)],
        key="labeling.version",
        format_func=lambda v: f"latest (v{latest})" if v == 0 else f"v{v}",
        help="Every reviewer decision makes a new version; earlier versions are kept.",
    )
    or latest
)

long = labeling_db.label_frame(store, ls.id, version)
decisions = labeling_db.label_decisions(store, ls.id, version)
agreement = L.compute_agreement(long)
cons = L.consensus(long, decisions)
queue = L.relabel_queue(long, decisions, labeling_db.list_relabel_items(store, ls.id))

m = st.columns(5)
m[0].metric("Items", f"{agreement.n_items:,}")
m[1].metric("Annotators", agreement.n_annotators)
m[2].metric(
    "Items with a consensus",
    f"{int(cons['consensus'].notna().sum()):,}",
    help="Majority vote, or a reviewer's decision; ties have none until reviewed.",
)
m[3].metric("Reviewer decisions", len(decisions))
m[4].metric("In the relabel queue", len(queue))

tabs = st.tabs(
    [
        "Agreement",
        "Relabel queue",
        "Label errors",
        "Human-level performance",
        "Instructions",
        "Versions",
    ]
)

with tabs[0]:
    if not agreement.defined:
        st.warning(agreement.message)
    else:
        k = st.columns(4)
        k[0].metric(
            "Observed agreement",
            f"{agreement.observed:.1%}",
            help="Share of annotator pairs on an item that give the same label.",
        )
        k[1].metric(
            "Fleiss' kappa",
            f"{agreement.fleiss_kappa:.3f}",
            help="Agreement beyond chance over all annotators (1 = perfect, 0 = chance).",
        )
        k[2].metric(
            "Krippendorff's alpha",
            f"{agreement.krippendorff_alpha:.3f}",
            help="Nominal alpha; handles items some annotators skipped.",
        )
        k[3].metric("Unanimous items", f"{agreement.unanimous_share:.1%}")
        for note in agreement.notes:
            st.info(note, icon=":material/info:")
        g1, g2 = st.columns(2)
        g1.plotly_chart(charts.agreement_heatmap(agreement), key="labeling.heatmap")
        g2.plotly_chart(charts.per_class_agreement_bars(agreement), key="labeling.per_class")
        st.dataframe(
            agreement.pairs,
            hide_index=True,
            column_config={
                "agreement": st.column_config.NumberColumn(format="percent"),
                "cohen_kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.3f"),
            },
        )
        names = sorted(long["annotator"].unique())
        a1, a2 = st.columns(2)
        a = a1.selectbox("Annotator (rows)", names, key="labeling.conf_a")
        b = a2.selectbox("Annotator (columns)", names, index=1, key="labeling.conf_b")
        if a != b:
            st.plotly_chart(
                charts.annotator_confusion(L.confusion_between(long, a, b)),
                key="labeling.confusion",
            )
        st.subheader("Items in disagreement, most split first")
        st.dataframe(L.disagreements(long, decisions), hide_index=True, height=260)

with tabs[1]:
    if version != latest:
        st.info(f"You are viewing v{version}; decisions are made on the latest version.")
    elif queue.empty:
        st.success(
            "The relabel queue is empty: every disagreement has a consensus and no "
            "suspected label error is waiting.",
            icon=":material/task_alt:",
        )
    else:
        st.dataframe(queue.head(500), hide_index=True, height=200)
        reasons = dict(zip(queue["item_id"], queue["reason"], strict=True))
        item = st.selectbox(
            "Item to review",
            list(reasons),
            key="labeling.queue_item",
            format_func=lambda i: f"{i} · {reasons[i]}",
        )
        view = L.item_view(store, ls, item)
        f1, f2 = st.columns([3, 2])
        f1.markdown("**Features**")
        f1.dataframe(view.features, hide_index=True, height=300)
        f2.markdown("**Every annotator's label**")
        f2.dataframe(view.labels, hide_index=True)
        classes = sorted(set(long["label"]))
        f2.selectbox(
            "Consensus label",
            classes,
            key="labeling.decision_label",
            index=classes.index(view.majority) if view.majority in classes else 0,
        )
        f2.text_input(
            "Reason",
            key="labeling.decision_reason",
            placeholder="e.g. rule 3: a theft with a police report is not suspicious",
        )
        if f2.button("Save consensus label", key="labeling.decide", type="primary"):
            try:
                new_v = L.decide_label(
                    store,
                    ls.id,
                    item,
                    st.session_state["labeling.decision_label"],
                    st.session_state["labeling.decision_reason"],
                    user,
                )
            except StoreError as exc:
                f2.error(str(exc))
            else:
                for key in (
                    "labeling.queue_item",
                    "labeling.decision_label",
                    "labeling.decision_reason",
                ):
                    st.session_state.pop(key, None)
                st.toast(f"Saved {item} as labels v{new_v}")
                st.rerun()
        instructions = labeling_db.list_label_instructions(store, project.id)
        with st.expander("Labeling instructions (amend them in the Instructions tab)"):
            st.markdown(instructions["body"].iloc[0] if len(instructions) else "_None yet._")

with tabs[2]:
    labeling.render_label_errors(store, project, ls, user)

with tabs[3]:
    try:
        hlp = L.hlp_for_set(store, ls, version)
    except StoreError as exc:
        st.error(str(exc))
    else:
        st.metric(
            f"HLP: mean annotator accuracy vs {hlp.reference}",
            f"{hlp.hlp:.1%}",
            help=f"On {hlp.n_items:,} items of labels v{version}.",
        )
        st.plotly_chart(charts.hlp_bars(hlp), key="labeling.hlp_chart")
        st.dataframe(hlp.per_annotator, hide_index=True)
        st.dataframe(
            hlp.per_class.pivot(index="annotator", columns="class", values="f1").add_prefix(
                "F1 class "
            )
        )
        if st.button(
            "Write HLP into the scoping baselines",
            key="labeling.write_hlp",
            disabled=not L.scoping_available(),
            help="Records the HLP with its provenance in the project's scoping brief.",
        ):
            try:
                L.write_hlp_baseline(store, project.id, hlp, version, user)
            except StoreError as exc:
                st.error(str(exc))
            else:
                st.success(f"HLP {hlp.hlp:.1%} written into the scoping baselines.")

with tabs[4]:
    labeling.render_instructions(store, project, user)

with tabs[5]:
    st.dataframe(labeling_db.list_label_versions(store, ls.id), hide_index=True)
    st.markdown("**Reviewer decisions in this version**")
    st.dataframe(decisions, hide_index=True)
