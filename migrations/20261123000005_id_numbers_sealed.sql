-- ID-card numbers are kept only sealed with the counter's data key (src/datakey.rs: `v1:` values).
-- Numbers an earlier build stored in clear are dropped rather than sealed here (a migration has no
-- key): they are the ledger's, they come back sealed with the account's next change, and the counter
-- never reads them. secure_delete zeroes the bytes the update frees in the database file.
PRAGMA secure_delete = ON;
UPDATE accounts SET id_number = NULL WHERE id_number IS NOT NULL AND substr(id_number, 1, 3) <> 'v1:';
PRAGMA secure_delete = OFF;
