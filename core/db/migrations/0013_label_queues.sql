-- 0013_label_queues
-- Labeling inside the workbench: a labels set can be a queue of items that reviewers label
-- in the app (one label per reviewer per item, kept in the ``labels`` table like imports).
CREATE TABLE label_queues (
    label_set_id BIGINT PRIMARY KEY,
    project_id BIGINT NOT NULL,
    choices VARCHAR NOT NULL,  -- JSON list: the labels a reviewer can give
    columns VARCHAR NOT NULL,  -- JSON list: the item's columns shown to a reviewer
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE TABLE label_tasks (
    label_set_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    position INTEGER NOT NULL,  -- the order reviewers see the items in
    item_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,  -- e.g. "random sample of 200, seed 0" or "error analysis"
    added_at TIMESTAMP NOT NULL,
    added_by VARCHAR NOT NULL,
    PRIMARY KEY (label_set_id, item_id)
);
