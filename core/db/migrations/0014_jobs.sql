-- 0014_jobs
-- Long work (training, searches, monitoring, demo seeding) runs as a job in the server
-- process, outside the page's script run; its status and progress are stored so a page
-- shows them when the user comes back, and a job left 'queued' or 'running' by a stopped
-- process is marked 'interrupted' at the next start.
CREATE TABLE jobs (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT,
    kind VARCHAR NOT NULL,  -- e.g. 'train', 'monitor', 'seed'
    title VARCHAR NOT NULL,  -- what the user sees, e.g. "Train: Logistic regression"
    status VARCHAR NOT NULL,  -- queued / running / done / failed / interrupted
    fraction DOUBLE NOT NULL DEFAULT 0,
    message VARCHAR NOT NULL DEFAULT '',
    params VARCHAR NOT NULL DEFAULT '{}',  -- JSON: what was asked
    result VARCHAR,  -- JSON: a reference to what it stored, e.g. {"run_id": 12}
    error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
-- Setup done step by step (the demo's seeding): a step is recorded once its results are
-- committed, so an interrupted setup resumes at the first missing step.
CREATE TABLE setup_steps (
    plan VARCHAR NOT NULL,
    step VARCHAR NOT NULL,
    -- what the step made (the demo's project id); not named project_id on purpose: deleting
    -- a project must not forget that its seeding ran, or a deleted demo would come back
    entity_id BIGINT,
    done_at TIMESTAMP NOT NULL,
    PRIMARY KEY (plan, step)
);
