-- 0019_column_profiles
-- The one-pass column profile that type detection computed, stored so the quality report
-- reads it back instead of scanning the table again. Keyed by the dataset, its content hash
-- and a key of what else the profile depends on (the stated ranges, the exact-count limit,
-- the shape sample, the profile's version); a new key is a new row.
CREATE TABLE column_profiles (
    project_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    params_key VARCHAR NOT NULL,
    params VARCHAR NOT NULL,   -- JSON: what the key was made from
    profile VARCHAR NOT NULL,  -- JSON: the profile frame (columns, dtypes, rows)
    seconds DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    PRIMARY KEY (dataset_id, content_hash, params_key)
);
