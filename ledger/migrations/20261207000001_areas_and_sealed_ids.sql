-- Scoped pulls and sealed ID numbers (issue 17, part 1).
--
-- 供电区域: a terminal belongs to an area from its enrolment (`terminal enrol CODE --area AREA`), an
-- account from its import (the file's `area` column, or `import accounts FILE --area AREA`). A
-- terminal's pull sends only the accounts of its own area and their bills.
-- Terminals enrolled before this version are in the area their code names, the part before the
-- first '-' (GY01 of GY01-03): the rule the finance lists already group terminals by.
-- Accounts imported before have no area and go to no terminal until one is given
-- (`cashdesk-ledger import areas FILE`).
ALTER TABLE terminals ADD COLUMN area TEXT;
UPDATE terminals SET area = split_part(code, '-', 1);
ALTER TABLE terminals ALTER COLUMN area SET NOT NULL;

ALTER TABLE accounts ADD COLUMN area TEXT;

-- ID-card numbers are sealed with the ledger's data key (AES-256-GCM, associated data
-- 'accounts.id_number'), like the payees' account numbers of refunds. The key is a file the
-- database never holds, so SQL cannot seal: `serve` seals every number still in `id_number` when it
-- starts (`datakey::seal_id_numbers`) and clears it, in one transaction; nothing writes the plain
-- column any more.
ALTER TABLE accounts ADD COLUMN id_number_sealed TEXT;
