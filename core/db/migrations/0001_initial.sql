-- 0001_initial
CREATE SEQUENCE IF NOT EXISTS id_seq START 1;
CREATE TABLE projects (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    name VARCHAR NOT NULL UNIQUE,
    description VARCHAR NOT NULL DEFAULT '',
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE datasets (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    n_rows BIGINT NOT NULL,
    n_cols INTEGER NOT NULL,
    content_hash VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL UNIQUE,
    parent_id BIGINT,
    note VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    logged_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    entity_id BIGINT,
    project_id BIGINT,
    detail VARCHAR NOT NULL DEFAULT '{}'
);
