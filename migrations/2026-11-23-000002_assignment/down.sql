DROP TRIGGER api_keys_notify ON api_keys;
DROP TRIGGER settings_notify ON settings;
DROP TRIGGER lifecycle_stages_notify ON lifecycle_stages;
DROP TRIGGER layers_notify ON layers;
DROP TRIGGER variants_notify ON variants;
DROP TRIGGER experiments_notify ON experiments;
DROP FUNCTION stagelab_notify_config();
DROP TABLE settings;
ALTER TABLE experiments DROP COLUMN overrides;
