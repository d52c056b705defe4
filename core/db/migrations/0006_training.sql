-- 0006_training
CREATE TABLE runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    parent_id BIGINT,
    name VARCHAR NOT NULL,
    run_type VARCHAR NOT NULL DEFAULT 'train',
    status VARCHAR NOT NULL,
    error VARCHAR,
    model_kind VARCHAR NOT NULL,
    params VARCHAR NOT NULL DEFAULT '{}',
    preprocessing VARCHAR NOT NULL DEFAULT '{}',
    split_id BIGINT,
    dataset_id BIGINT,
    dataset_hash VARCHAR,
    split_hash VARCHAR,
    target VARCHAR,
    positive_class VARCHAR,
    task_type VARCHAR,
    features VARCHAR NOT NULL DEFAULT '[]',
    library_versions VARCHAR NOT NULL DEFAULT '{}',
    seed BIGINT,
    max_ladder DOUBLE,
    n_train BIGINT,
    duration_s DOUBLE,
    peak_mem_mb DOUBLE,
    artifact_path VARCHAR,
    artifact_sha256 VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE run_metrics (
    run_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    part VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    class VARCHAR,
    value DOUBLE
);
CREATE TABLE predictions (
    run_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    row_id BIGINT NOT NULL,
    part VARCHAR NOT NULL,
    y_true VARCHAR,
    y_pred VARCHAR,
    score DOUBLE
);
CREATE TABLE model_versions (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    alias VARCHAR,
    status VARCHAR NOT NULL DEFAULT 'active',
    artifact_path VARCHAR NOT NULL,
    artifact_sha256 VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    UNIQUE (project_id, version)
);
