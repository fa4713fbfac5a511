-- The exposure → variant reference is checked once per statement instead of once per row.
--
-- A foreign key runs one lookup query per inserted row. On the assignment path, where every
-- request stores a first exposure and a group commit inserts dozens at once, those lookups were
-- about a quarter of the database's work. These triggers keep the same guarantees with one query
-- per statement over the statement's rows (a transition table):
-- * an exposure names a variant of its own experiment (`exposures_variant_fkey`, the old
--   constraint's name, in the error);
-- * the variants it names stay until the inserting transaction ends (FOR KEY SHARE, the lock a
--   foreign key check takes), and a variant deleted meanwhile is not found;
-- * deleting a variant (or its experiment) deletes its exposures, and truncating `variants`
--   (or `experiments` with CASCADE) truncates `exposures`;
-- * a variant's id and experiment never change.

ALTER TABLE exposures DROP CONSTRAINT exposures_variant_fkey;

CREATE FUNCTION exposures_variant_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    -- One probe per distinct variant, which is locked as a foreign key check locks it.
    SELECT n.variant_id, n.experiment_id INTO missing
    FROM (SELECT DISTINCT variant_id, experiment_id FROM new_rows) n
    WHERE NOT EXISTS (
        SELECT FROM variants v WHERE v.id = n.variant_id AND v.experiment_id = n.experiment_id FOR KEY SHARE)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "exposures" violates foreign key constraint "exposures_variant_fkey"'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'exposures_variant_fkey',
                  TABLE = 'exposures',
                  DETAIL = format('Key (variant_id, experiment_id)=(%s, %s) is not present in table "variants".',
                                  missing.variant_id, missing.experiment_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER exposures_variant_check_insert AFTER INSERT ON exposures
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exposures_variant_check();
CREATE TRIGGER exposures_variant_check_update AFTER UPDATE ON exposures
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exposures_variant_check();

CREATE FUNCTION variants_delete_exposures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM exposures x USING old_rows o WHERE x.experiment_id = o.experiment_id AND x.variant_id = o.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER variants_delete_exposures AFTER DELETE ON variants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION variants_delete_exposures();

CREATE FUNCTION variants_truncate_exposures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE exposures;
    RETURN NULL;
END
$$;

CREATE TRIGGER variants_truncate_exposures AFTER TRUNCATE ON variants
    FOR EACH STATEMENT EXECUTE FUNCTION variants_truncate_exposures();

CREATE FUNCTION variants_keep_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.experiment_id <> OLD.experiment_id THEN
        RAISE EXCEPTION 'a variant''s id and experiment cannot change (variant %)', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'variants';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER variants_keep_identity BEFORE UPDATE OF id, experiment_id ON variants
    FOR EACH ROW EXECUTE FUNCTION variants_keep_identity();
