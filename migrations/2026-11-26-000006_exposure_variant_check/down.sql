DROP TRIGGER variants_keep_identity ON variants;
DROP FUNCTION variants_keep_identity();
DROP TRIGGER variants_truncate_exposures ON variants;
DROP FUNCTION variants_truncate_exposures();
DROP TRIGGER variants_delete_exposures ON variants;
DROP FUNCTION variants_delete_exposures();
DROP TRIGGER exposures_variant_check_update ON exposures;
DROP TRIGGER exposures_variant_check_insert ON exposures;
DROP FUNCTION exposures_variant_check();
ALTER TABLE exposures ADD CONSTRAINT exposures_variant_fkey FOREIGN KEY (variant_id, experiment_id)
    REFERENCES variants (id, experiment_id) ON DELETE CASCADE;
