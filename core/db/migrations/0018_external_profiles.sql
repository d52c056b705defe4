-- 0018_external_profiles: a profile computed elsewhere (on Spark, where the data lives) has
-- no dataset in this store; it records where its data was (a path or URI) instead.
ALTER TABLE profiles ALTER COLUMN dataset_id DROP NOT NULL;
ALTER TABLE profiles ADD COLUMN source VARCHAR;
