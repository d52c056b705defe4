-- 0004_data
CREATE TABLE column_types (
    project_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    column_name VARCHAR NOT NULL,
    detected VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    override VARCHAR,
    range_low DOUBLE,
    range_high DOUBLE,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (dataset_id, column_name)
);
CREATE TABLE quality_reports (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    params_key VARCHAR NOT NULL,
    report VARCHAR NOT NULL,
    seconds DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
