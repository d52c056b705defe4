-- 0016_gates
-- Gates a pipeline runs (python -m core.gate data|model|deploy): one row per gate run with its
-- verdict, and its checks (append-only, keyed by the gate run).
CREATE TABLE gate_runs (
    id BIGINT PRIMARY KEY,
    project_id BIGINT NOT NULL,
    gate VARCHAR NOT NULL,      -- data, model or deploy
    subject VARCHAR NOT NULL,   -- what was checked, in words ("dataset 'batch_7' (#12)")
    subject_ref VARCHAR NOT NULL,  -- JSON: dataset_id, run_id, version_id, simulation_id …
    verdict VARCHAR NOT NULL,   -- passed or failed
    exit_code INTEGER NOT NULL,
    settings VARCHAR NOT NULL,  -- JSON: the tolerances and thresholds used
    summary VARCHAR NOT NULL,   -- JSON: counts per status, notes
    source VARCHAR NOT NULL,    -- cli, retrain, page, test
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE gate_checks (
    gate_run_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    check_group VARCHAR NOT NULL,  -- schema, types, range, nulls, drift, metric, slice …
    name VARCHAR NOT NULL,
    status VARCHAR NOT NULL,       -- passed, failed, not judged, not applicable
    value DOUBLE,
    threshold DOUBLE,
    detail VARCHAR NOT NULL,
    PRIMARY KEY (gate_run_id, position)
);
