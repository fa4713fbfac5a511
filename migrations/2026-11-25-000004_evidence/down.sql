ALTER TABLE customers RESET (fillfactor);
ALTER TABLE customers DROP COLUMN evidence;
