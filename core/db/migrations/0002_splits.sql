-- 0002_splits
CREATE TABLE splits (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    target VARCHAR,
    params VARCHAR NOT NULL DEFAULT '{}',
    content_hash VARCHAR NOT NULL,
    n_train BIGINT NOT NULL,
    n_dev BIGINT NOT NULL,
    n_test BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE split_assignments (
    split_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    row_id BIGINT NOT NULL,
    part VARCHAR NOT NULL,
    ladder DOUBLE
);
