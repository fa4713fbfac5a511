ALTER TABLE customers DROP COLUMN evidence;
