-- Issue 17 §3: verification codes (校验码) are made with the receipt key, kept in the OS keyring or a
-- file store an administrator chose (`keystore`), never in the database. The secret earlier builds
-- kept in `settings` made the 8-character codes of the receipts already issued; those codes are stored
-- with their documents and never recomputed, so the secret has no use left, and a copy of the database
-- must not carry it.
DELETE FROM settings WHERE key = 'receipt_secret';
