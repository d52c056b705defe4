-- 0010_monitor_runs
CREATE TABLE monitor_runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    reference_dataset_id BIGINT NOT NULL,
    current_dataset_id BIGINT NOT NULL,
    model_version_id BIGINT,
    time_column VARCHAR NOT NULL,
    time_window VARCHAR NOT NULL,
    settings VARCHAR NOT NULL DEFAULT '{}',
    summary VARCHAR NOT NULL DEFAULT '{}',
    source VARCHAR NOT NULL DEFAULT 'page',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE monitor_results (
    run_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    window_start TIMESTAMP,
    column_name VARCHAR,
    metric VARCHAR NOT NULL,
    value DOUBLE,
    threshold DOUBLE,
    flagged BOOLEAN,
    note VARCHAR
);
CREATE TABLE alerts (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    window_start TIMESTAMP,
    check_name VARCHAR NOT NULL,
    column_name VARCHAR,
    value DOUBLE,
    threshold DOUBLE,
    severity VARCHAR NOT NULL,
    policy VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'open',
    acknowledged_by VARCHAR,
    acknowledged_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
