-- An exposure's variant must belong to its experiment: one composite foreign key instead of two
-- separate ones. Each foreign key is a lookup per inserted row on the assignment path, and the
-- composite one also rejects a variant of another experiment. Deleting an experiment still
-- deletes its variants and their exposures.
ALTER TABLE variants ADD CONSTRAINT variants_id_experiment_key UNIQUE (id, experiment_id);
ALTER TABLE exposures
    DROP CONSTRAINT exposures_experiment_id_fkey,
    DROP CONSTRAINT exposures_variant_id_fkey,
    ADD CONSTRAINT exposures_variant_fkey FOREIGN KEY (variant_id, experiment_id)
        REFERENCES variants (id, experiment_id) ON DELETE CASCADE;
