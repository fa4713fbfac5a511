-- Assignment: QA overrides, service-wide settings (the global holdout), and change notifications
-- so that every service node refreshes its in-memory definitions at once.

-- Forced variants for listed customer ids: {"customer id": "variant key"}. Not counted in analysis.
ALTER TABLE experiments ADD COLUMN overrides JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(overrides) = 'object');

-- Service-wide settings, e.g. {"holdout": {"share": 0.05}}.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION stagelab_notify_config() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stagelab_config', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER experiments_notify AFTER INSERT OR UPDATE OR DELETE ON experiments
    FOR EACH STATEMENT EXECUTE FUNCTION stagelab_notify_config();
CREATE TRIGGER variants_notify AFTER INSERT OR UPDATE OR DELETE ON variants
    FOR EACH STATEMENT EXECUTE FUNCTION stagelab_notify_config();
CREATE TRIGGER layers_notify AFTER INSERT OR UPDATE OR DELETE ON layers
    FOR EACH STATEMENT EXECUTE FUNCTION stagelab_notify_config();
CREATE TRIGGER lifecycle_stages_notify AFTER INSERT OR UPDATE OR DELETE ON lifecycle_stages
    FOR EACH STATEMENT EXECUTE FUNCTION stagelab_notify_config();
CREATE TRIGGER settings_notify AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION stagelab_notify_config();
CREATE TRIGGER api_keys_notify AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION stagelab_notify_config();
