"""Labeling: labels imported or given in the app, annotator agreement, the relabel queue,
suspected label errors and HLP."""

import streamlit as st

from core import labeling as L
from ui import labeling, session

ctx = session.page(
    "Labeling",
    ":material/label:",
    "How consistent are the labels? Measure agreement between annotators, settle "
    "disagreements in the relabel queue, find suspected label errors with a cross-validated "
    "model and measure human-level performance (HLP) as the baseline to beat.",
)
store, project, user = ctx.store, ctx.project, ctx.user
sets = {s.id: s for s in L.list_label_sets(store, project.id)}
with st.expander("Import labels", icon=":material/upload:", expanded=not sets):
    labeling.render_import(store, project, user)
with st.expander("Label in the app: new queue", icon=":material/playlist_add_check:"):
    labeling.render_new_queue(store, project, user)

sets = {s.id: s for s in L.list_label_sets(store, project.id)}  # one may have been added
if not sets:
    st.info(
        "This project has no labels yet: import a CSV of annotators' labels, or create a "
        "queue and label rows here."
    )
    st.stop()

c1, c2 = st.columns([2, 1])
set_id = c1.selectbox(
    "Labels set", list(sets), format_func=lambda i: sets[i].name, key="labeling.set"
)
ls = sets[set_id]
latest = L.latest_label_version(store, ls.id)
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

long = L.label_frame(store, ls.id, version)
decisions = L.label_decisions(store, ls.id, version)
agreement = L.compute_agreement(long)
cons = L.consensus(long, decisions)
queue = L.relabel_queue(long, decisions, L.list_relabel_items(store, ls.id))

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

label_queue = L.get_label_queue(store, ls.id)
names = ["Agreement", "Relabel queue", "Label errors", "Human-level performance"]
tabs = st.tabs((["Label items"] if label_queue else []) + [*names, "Instructions", "Versions"])
if label_queue is not None:
    with tabs[0]:
        labeling.render_label_items(store, project, label_queue, user)
    tabs = tabs[1:]
with tabs[0]:
    labeling.render_agreement(agreement, long, decisions)
with tabs[1]:
    if version != latest:
        st.info(f"You are viewing v{version}; decisions are made on the latest version.")
    else:
        labeling.render_queue(store, project, ls, long, queue, user)
with tabs[2]:
    labeling.render_label_errors(store, project, ls, user)
with tabs[3]:
    labeling.render_hlp(store, project, ls, version, user)
with tabs[4]:
    labeling.render_instructions(store, project, user)
with tabs[5]:
    labeling.render_versions(store, ls, decisions)
