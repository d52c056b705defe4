"""Labels from several annotators: import, agreement, consensus, the relabel queue, HLP and
suspected label errors.

The package owns the Labeling stage's rules and statistics; it reads and writes through
``core.db.labeling`` only. Submodules:

* ``sets``: a labels set (its stored row), reading long or wide files, the duplicates and
  unknown-items policies, the import as version 1, reads of versions, labels and decisions.
* ``agreement``: the item x class count matrix, Cohen's, Fleiss' kappa, Krippendorff's alpha,
  specific agreement, pairwise kappa and the confusion between two annotators.
* ``consensus``: majority vote, disagreements, the relabel queue, reviewer decisions and the
  labeling instructions.
* ``hlp``: human-level performance against ground truth or consensus, written into scoping.
* ``label_errors``: out-of-fold probabilities and confident learning (matches cleanlab), and
  stored detection runs.
"""

from core.labeling.agreement import (
    Agreement,
    CountMatrix,
    cohen_kappa,
    compute_agreement,
    confusion_between,
    count_matrix,
    fleiss_kappa,
    kappa_matrix,
    krippendorff_alpha_nominal,
    pairwise_kappa,
    specific_agreement,
)
from core.labeling.consensus import (
    ItemView,
    amend_instructions,
    consensus,
    current_instructions,
    decide_label,
    disagreements,
    item_view,
    list_label_instructions,
    list_relabel_items,
    relabel_queue,
    send_to_queue,
)
from core.labeling.hlp import Hlp, hlp_for_set, human_level_performance, write_hlp_baseline
from core.labeling.label_errors import (
    MAX_CATEGORIES,
    MODELS,
    LabelErrors,
    confident_learning,
    default_features,
    find_label_errors,
    label_error_runs,
    label_error_scores,
    out_of_fold_proba,
    run_label_error_detection,
)
from core.labeling.sets import (
    ImportReport,
    LabelError,
    LabelSet,
    dataset_columns,
    get_label_set,
    import_labels,
    item_datasets,
    label_decisions,
    label_frame,
    latest_label_version,
    list_label_sets,
    list_label_versions,
    normalize_labels,
    parse_labels,
    read_labels_csv,
    resolve_duplicates,
)

__all__ = [
    "MAX_CATEGORIES",
    "MODELS",
    "Agreement",
    "CountMatrix",
    "Hlp",
    "ImportReport",
    "ItemView",
    "LabelError",
    "LabelErrors",
    "LabelSet",
    "amend_instructions",
    "cohen_kappa",
    "compute_agreement",
    "confident_learning",
    "confusion_between",
    "consensus",
    "count_matrix",
    "current_instructions",
    "dataset_columns",
    "decide_label",
    "default_features",
    "disagreements",
    "find_label_errors",
    "fleiss_kappa",
    "get_label_set",
    "hlp_for_set",
    "human_level_performance",
    "import_labels",
    "item_datasets",
    "item_view",
    "kappa_matrix",
    "krippendorff_alpha_nominal",
    "label_decisions",
    "label_error_runs",
    "label_error_scores",
    "label_frame",
    "latest_label_version",
    "list_label_instructions",
    "list_label_sets",
    "list_label_versions",
    "list_relabel_items",
    "normalize_labels",
    "out_of_fold_proba",
    "pairwise_kappa",
    "parse_labels",
    "read_labels_csv",
    "relabel_queue",
    "resolve_duplicates",
    "run_label_error_detection",
    "send_to_queue",
    "specific_agreement",
    "write_hlp_baseline",
]
