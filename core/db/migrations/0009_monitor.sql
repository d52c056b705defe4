-- 0009_monitor
CREATE TABLE profiles (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    reference_profile_id BIGINT,
    time_column VARCHAR,
    window_size VARCHAR,
    n_rows BIGINT NOT NULL,
    spec VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE profile_columns (
    profile_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    window_label VARCHAR NOT NULL,
    window_start TIMESTAMP,
    column_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    data_type VARCHAR NOT NULL,
    n BIGINT NOT NULL,
    nulls BIGINT NOT NULL,
    sum DOUBLE,
    sumsq DOUBLE,
    min DOUBLE,
    max DOUBLE,
    below BIGINT NOT NULL,
    below_sum DOUBLE NOT NULL,
    above BIGINT NOT NULL,
    above_sum DOUBLE NOT NULL,
    bin_keys BIGINT[],
    bin_counts BIGINT[],
    categories VARCHAR[],
    category_counts BIGINT[],
    other BIGINT NOT NULL,
    note VARCHAR NOT NULL DEFAULT ''
);
