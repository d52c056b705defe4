-- 0011_column_roles
-- Which column of a project's data plays which role (time, id, target, incumbent
-- decision, latency, status): read by every stage, so no stage knows a column name.
CREATE TABLE column_roles (
    project_id BIGINT NOT NULL,
    role VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (project_id, role)
);
