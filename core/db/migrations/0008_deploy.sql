-- 0008_deploy
CREATE TABLE deploy_simulations (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    pattern VARCHAR NOT NULL,
    dataset_id BIGINT NOT NULL,
    dataset_hash VARCHAR NOT NULL,
    incumbent VARCHAR NOT NULL DEFAULT '{}',
    candidate VARCHAR NOT NULL DEFAULT '{}',
    settings VARCHAR NOT NULL DEFAULT '{}',
    summary VARCHAR NOT NULL DEFAULT '{}',
    decision VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE deploy_windows (
    simulation_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    window_idx INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    step INTEGER,
    share_target DOUBLE,
    n_requests BIGINT,
    n_routed BIGINT,
    n_cand_served BIGINT,
    n_fallback BIGINT,
    n_incumbent BIGINT,
    share_served DOUBLE,
    agreement DOUBLE,
    n_labeled BIGINT,
    wrong_cand BIGINT,
    wrong_inc BIGINT,
    wrong_cand_counterfactual BIGINT,
    failed_cand BIGINT,
    failed_inc BIGINT,
    cand_p95_ms DOUBLE,
    inc_p95_ms DOUBLE,
    infer_ms DOUBLE,
    breached VARCHAR
);
CREATE TABLE deploy_checks (
    simulation_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    window_idx INTEGER NOT NULL,
    guardrail VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    threshold DOUBLE,
    value DOUBLE,
    bound DOUBLE,
    n BIGINT,
    status VARCHAR NOT NULL,
    point_bad BOOLEAN,
    share DOUBLE,
    step INTEGER,
    incumbent_value DOUBLE
);
CREATE TABLE deploy_events (
    simulation_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    window_idx INTEGER,
    kind VARCHAR NOT NULL,
    share_from DOUBLE,
    share_to DOUBLE,
    reason VARCHAR NOT NULL DEFAULT ''
);
