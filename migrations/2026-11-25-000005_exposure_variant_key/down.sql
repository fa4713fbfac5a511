ALTER TABLE exposures
    DROP CONSTRAINT exposures_variant_fkey,
    ADD CONSTRAINT exposures_experiment_id_fkey FOREIGN KEY (experiment_id) REFERENCES experiments (id) ON DELETE CASCADE,
    ADD CONSTRAINT exposures_variant_id_fkey FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE CASCADE;
ALTER TABLE variants DROP CONSTRAINT variants_id_experiment_key;
