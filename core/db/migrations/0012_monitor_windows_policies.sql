-- 0012_monitor_windows_policies
-- Windows that are not time periods (the whole current dataset, N rows in file order, the
-- values of a batch column) have a label and an order; window_start stays NULL for them.
ALTER TABLE monitor_results ADD COLUMN window_label VARCHAR;
ALTER TABLE monitor_results ADD COLUMN window_index INTEGER;
ALTER TABLE alerts ADD COLUMN window_label VARCHAR;
-- Alert policies per project: on or off, a threshold (NULL: the run's own thresholds) and
-- the windows in a row a policy needs before it alerts; read by the next runs.
CREATE TABLE alert_policies (
    project_id BIGINT NOT NULL,
    policy VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL,
    threshold DOUBLE,
    persistence INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (project_id, policy)
);
