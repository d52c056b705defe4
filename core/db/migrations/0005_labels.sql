-- 0005_labels
CREATE TABLE label_sets (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    item_dataset_id BIGINT,
    item_id_column VARCHAR,
    ground_truth_column VARCHAR,
    feature_columns VARCHAR NOT NULL DEFAULT '[]',
    source VARCHAR NOT NULL,
    note VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE label_versions (
    label_set_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    parent_version INTEGER,
    note VARCHAR NOT NULL DEFAULT '',
    n_labels BIGINT NOT NULL,
    n_items BIGINT NOT NULL,
    n_decisions BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE labels (
    label_set_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    item_id VARCHAR NOT NULL,
    annotator VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    labeled_at TIMESTAMP
);
CREATE TABLE label_decisions (
    label_set_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    item_id VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    reviewer VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    made_in_version INTEGER NOT NULL
);
CREATE TABLE relabel_queue (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    label_set_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    item_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    score DOUBLE,
    added_at TIMESTAMP NOT NULL,
    added_by VARCHAR NOT NULL
);
CREATE TABLE label_instructions (
    project_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    body VARCHAR NOT NULL,
    note VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE label_error_runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    label_set_id BIGINT NOT NULL,
    labels_version INTEGER NOT NULL,
    label_source VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    n_folds INTEGER NOT NULL,
    seed BIGINT NOT NULL,
    features VARCHAR NOT NULL DEFAULT '[]',
    thresholds VARCHAR NOT NULL DEFAULT '{}',
    n_items BIGINT NOT NULL,
    n_flagged BIGINT NOT NULL,
    oof_accuracy DOUBLE,
    duration_s DOUBLE,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE label_error_scores (
    run_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    item_id VARCHAR NOT NULL,
    given_label VARCHAR NOT NULL,
    predicted_label VARCHAR NOT NULL,
    self_confidence DOUBLE NOT NULL,
    threshold DOUBLE NOT NULL,
    flagged BOOLEAN NOT NULL,
    rank INTEGER NOT NULL
);
