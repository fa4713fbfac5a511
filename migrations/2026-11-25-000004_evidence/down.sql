ALTER TABLE customers RESET (fillfactor);
CREATE INDEX customers_stage_idx ON customers (stage);
ALTER TABLE customers DROP COLUMN evidence;
