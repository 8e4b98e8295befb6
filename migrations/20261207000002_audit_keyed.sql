-- The audit chain is keyed (audit.rs): each entry says how it was sealed. Entries written before
-- this migration are the plain SHA-256 chain (scheme 0); new entries are HMAC-SHA-256 under the
-- counter's audit key over their seq and fields (scheme 1) once the key is at hand.
ALTER TABLE audit_log ADD COLUMN scheme INTEGER NOT NULL DEFAULT 0 CHECK (scheme IN (0, 1));
