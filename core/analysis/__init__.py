"""Error analysis by slice: per-slice metrics, HLP-gap priority, SliceLine discovery, tags,
actions, slice oversampling and run comparison.

Modules
-------
* ``source``     the slice base (a run's part or a frame), ``SliceError``, analysable runs
* ``columns``    ``ColumnSpec`` (codes, labels, stored predicates), bin edges, ``plan_columns``
* ``hlp``        the scoping brief's context and annotators' labels per row (per-slice HLP)
* ``sizes``      the minimum slice size for ranking and discovery (a confidence-interval rule)
* ``table``      the per-slice table (one metric: values, gaps, priority) and fairness gaps
* ``discovery``  SliceLine discovery (the lattice is ``core/db/sliceline.py``), stored results
* ``drill``      a slice's rows, the relabel queue link, labeling in the app, manual tags
* ``actions``    per-slice actions (collect, augment, relabel, ignore)
* ``oversample`` a slice's training rows oversampled into a new dataset version and split
* ``compare``    two runs compared slice by slice
* ``spark_slices`` discovery's per-level aggregates on Spark (same top-k as DuckDB)
* ``slices_job`` ``python -m core.slices``: export the cuts, search on Spark, import

DESIGN
------
* A *slice base* is one row per stored prediction of a run's part (dev or test) joined to
  its dataset row; the store computes everything on it in DuckDB. Columns are cut by a
  :class:`ColumnSpec`: categorical values (the most frequent ones, the rest "(other)"),
  calendar months of timestamps, or numeric quantile bins with editable edges. Manual
  tags are slices too.
* The per-slice table follows Andrew Ng's prioritisation: for each slice its share of the
  data, its metric, the gap to the overall metric and to human-level performance (HLP),
  and priority = gap to HLP x share. One metric throughout (the brief's primary, or the
  one picked): per-slice HLP is the annotators' metric where they labelled enough of the
  slice's rows, else the brief's HLP when it is in that metric; where no HLP is known in
  it, the gap to the overall metric ranks the slice. Slices under a minimum size (a
  confidence-interval rule, ``sizes``) are listed but not ranked, and discovery uses the
  same size as its minimum support. A regression is judged by MAE / RMSE.
* Discovery is SliceLine (Sagadeeva & Boehm, SIGMOD 2021): score
  ``alpha * (slice error rate / mean error rate - 1) - (1 - alpha) * (n / size - 1)``
  over conjunctions of up to three predicates, level by level with minimum support and
  upper-bound pruning against the running top-k, all as GROUP BY GROUPING SETS in DuckDB.
  A slice is not reported when a sub-slice of it scores at least as high (it would only
  restate that better parent).
* Tags are stored per run and row with their author; they are read for every dataset of
  the run's lineage, so they carry to the next run on the same items (oversampling keeps
  the original rows and their row ids first).
"""

from core.analysis.actions import (
    ACTIONS,
    SliceAction,
    close_action,
    list_actions,
    open_actions,
    record_action,
)
from core.analysis.columns import (
    MISSING,
    OTHER,
    ColumnPlan,
    ColumnSpec,
    _fmt,
    group_name,
    parse_edges,
    plan_columns,
    predicate_label,
    quantile_edges,
    slice_label,
)
from core.analysis.compare import compare_runs, default_comparison_run
from core.analysis.discovery import Discovery, discover_slices, latest_discovery, save_discovery
from core.analysis.drill import (
    list_tags,
    relabel_link,
    send_to_label_queue,
    send_to_relabel,
    slice_errors,
    tag_rows,
)
from core.analysis.hlp import ScopingContext, human_labels_by_row, scoping_context
from core.analysis.oversample import Oversampled, oversample_frame, oversample_slice
from core.analysis.sizes import MinSize, min_slice_size, wilson_half_width, wilson_min_rows
from core.analysis.source import (
    SliceError,
    SliceSource,
    analysable_runs,
    column_choices,
    frame_source,
    slice_columns,
    source_for_run,
)
from core.analysis.table import (
    HUMAN_METRICS,
    LOWER_IS_BETTER,
    SLICE_METRICS,
    TOO_SMALL,
    SliceTable,
    choose_metric,
    compute_slice_metrics,
    default_min_size,
    fairness_gaps,
    human_metric,
    metric_values,
    shortfall,
)

__all__ = [
    "ACTIONS",
    "HUMAN_METRICS",
    "LOWER_IS_BETTER",
    "MISSING",
    "OTHER",
    "SLICE_METRICS",
    "TOO_SMALL",
    "ColumnPlan",
    "ColumnSpec",
    "Discovery",
    "MinSize",
    "Oversampled",
    "ScopingContext",
    "SliceAction",
    "SliceError",
    "SliceSource",
    "SliceTable",
    "_fmt",  # how labels print numbers (tests build expected bin labels with it)
    "analysable_runs",
    "choose_metric",
    "close_action",
    "column_choices",
    "compare_runs",
    "compute_slice_metrics",
    "default_comparison_run",
    "default_min_size",
    "discover_slices",
    "fairness_gaps",
    "frame_source",
    "human_labels_by_row",
    "human_metric",
    "latest_discovery",
    "list_actions",
    "list_tags",
    "metric_values",
    "min_slice_size",
    "open_actions",
    "oversample_frame",
    "oversample_slice",
    "parse_edges",
    "plan_columns",
    "group_name",
    "predicate_label",
    "quantile_edges",
    "record_action",
    "relabel_link",
    "save_discovery",
    "scoping_context",
    "send_to_label_queue",
    "send_to_relabel",
    "shortfall",
    "slice_columns",
    "slice_errors",
    "slice_label",
    "source_for_run",
    "tag_rows",
    "wilson_half_width",
    "wilson_min_rows",
]
