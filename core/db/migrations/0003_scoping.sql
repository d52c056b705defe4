-- 0003_scoping
CREATE TABLE scoping_briefs (
    project_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    brief VARCHAR NOT NULL,
    note VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    PRIMARY KEY (project_id, version)
);
