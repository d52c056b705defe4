-- 0007_slices
CREATE TABLE slice_tags (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    run_id BIGINT,
    dataset_id BIGINT NOT NULL,
    row_id BIGINT NOT NULL,
    tag VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE slice_actions (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    run_id BIGINT,
    label VARCHAR NOT NULL,
    slice VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    note VARCHAR NOT NULL DEFAULT '',
    status VARCHAR NOT NULL DEFAULT 'open',
    evidence VARCHAR NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    closed_at TIMESTAMP,
    closed_by VARCHAR
);
CREATE TABLE slice_discoveries (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    run_id BIGINT,
    part VARCHAR,
    params VARCHAR NOT NULL DEFAULT '{}',
    stats VARCHAR NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE discovered_slices (
    discovery_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    rank INTEGER NOT NULL,
    label VARCHAR NOT NULL,
    level INTEGER NOT NULL,
    slice VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    errors DOUBLE NOT NULL,
    error_rate DOUBLE NOT NULL,
    score DOUBLE NOT NULL
);
