"""The Data stage: load a dataset, type its columns, check its quality, look at its class
balance and design its train/dev/test split. Reads and writes through ``core.db`` only
(``datasets``, ``ingest``, ``data``, ``splits``, ``scans``); figures are in
``core.charts.data`` and ``core.charts.splits``.

Modules
-------
sniff           a file before loading: format, encoding, delimiter, header, column names
ingest          load a CSV/Parquet path or upload as a new dataset, all or nothing
load_jobs       the Data page's load as a job: read, write the table, quality report
detect          each column's type from its profile, by a table of rules
stored_profile  the column profile, computed once per version and ranges, stored, read back
columns         stored column types: detected, the user's override and valid range
datasets        a project's datasets as the page reads them; the lifecycle's Data step
quality         the stored quality report: build it (in named steps), read it back
quality_checks  the quality findings, one small check per finding
spelling        inconsistent spellings of a category, and the standardized version
balance         class balance of a target; label distribution per annotator
targets         a target's kind (class label or number), a numeric target's distribution
split_request   split methods, parts, shares, ladder; the request's checks; SplitError
allocation      the split arithmetic in numpy: controlled rounding, parts, ladder, groups
split_methods   one strategy per split method (random, stratified, by column, time, file
                order, group)
splits          plan a split (validate, strategy, ladder) and store it
split_views     a split's parts side by side, missing classes, the builder's suggestions
samples         scikit-learn's bundled data sets as workbench datasets
"""

from core.data.allocation import allocate, assign_parts, group_parts, ladder_levels
from core.data.balance import (
    BalanceResult,
    annotator_label_distribution,
    balance_from_counts,
    class_balance,
    is_labels_dataset,
)
from core.data.columns import (
    COLUMN_TYPES,
    ColumnType,
    column_types,
    column_types_frame,
    default_distribution_column,
    first_shown_column,
    save_column_settings,
    target_column,
)
from core.data.datasets import column_names, data_step, example_rows, get_dataset, list_datasets
from core.data.detect import TARGET_NAMES, detect_column_types, detect_type
from core.data.ingest import (
    IngestResult,
    check_upload_size,
    default_name,
    ingest_file,
    ingest_path,
    ingest_upload,
    upload_name,
)
from core.data.quality import (
    QualityReport,
    build_report,
    get_report,
)
from core.data.quality_checks import Issue, find_issues
from core.data.samples import SAMPLES, load_sample
from core.data.sniff import (
    DELIMITERS,
    ENCODINGS,
    CsvOptions,
    FileSniff,
    clean_column_names,
    detect_encoding,
    sniff_file,
)
from core.data.spelling import (
    SpellingGroup,
    find_spelling_groups,
    mapping_frame,
    mapping_from_frame,
    normalize_key,
    standardize,
)
from core.data.split_request import DEFAULT_LADDER, DEFAULT_SHARES, METHODS, PARTS, SplitError
from core.data.split_views import (
    column_kinds,
    comparison_columns,
    default_target,
    describe_split,
    missing_classes,
    split_summary,
    splits_frame,
    suggest_target,
    suggest_time_cutoffs,
    unique_split_name,
)
from core.data.splits import SplitPlan, create_split, get_split, list_splits, plan_split
from core.data.targets import (
    TargetDistribution,
    is_numeric_target,
    quantile_bins,
    target_distribution,
    target_kind,
)
from core.db.datasets import DATASET_ROLES, DatasetRow
from core.db.splits import SplitRow

__all__ = [
    "COLUMN_TYPES",
    "DATASET_ROLES",
    "DEFAULT_LADDER",
    "DEFAULT_SHARES",
    "DELIMITERS",
    "ENCODINGS",
    "METHODS",
    "PARTS",
    "SAMPLES",
    "TARGET_NAMES",
    "BalanceResult",
    "ColumnType",
    "CsvOptions",
    "DatasetRow",
    "FileSniff",
    "IngestResult",
    "Issue",
    "QualityReport",
    "SpellingGroup",
    "SplitError",
    "SplitPlan",
    "SplitRow",
    "TargetDistribution",
    "allocate",
    "annotator_label_distribution",
    "assign_parts",
    "balance_from_counts",
    "build_report",
    "class_balance",
    "clean_column_names",
    "column_kinds",
    "column_names",
    "column_types",
    "column_types_frame",
    "comparison_columns",
    "create_split",
    "data_step",
    "default_name",
    "default_distribution_column",
    "default_target",
    "describe_split",
    "detect_column_types",
    "detect_encoding",
    "detect_type",
    "example_rows",
    "find_issues",
    "find_spelling_groups",
    "first_shown_column",
    "get_dataset",
    "get_report",
    "get_split",
    "group_parts",
    "check_upload_size",
    "ingest_file",
    "ingest_path",
    "ingest_upload",
    "is_labels_dataset",
    "is_numeric_target",
    "ladder_levels",
    "list_datasets",
    "list_splits",
    "load_sample",
    "mapping_frame",
    "mapping_from_frame",
    "missing_classes",
    "normalize_key",
    "plan_split",
    "quantile_bins",
    "save_column_settings",
    "sniff_file",
    "split_summary",
    "splits_frame",
    "standardize",
    "suggest_target",
    "suggest_time_cutoffs",
    "target_column",
    "target_distribution",
    "target_kind",
    "unique_split_name",
    "upload_name",
]
