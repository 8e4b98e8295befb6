-- One page and one statement fewer per payment (20261206000006 says why pages cost time):
-- `payment_lines` becomes the column `payments.lines`, the payment's allocation as a JSON array of
-- [kind, bill id, period, amount_fen], oldest period first, late fee before principal, the rest to
-- prepaid (kind 'late_fee' | 'principal' | 'prepaid'; bill id and period null for 'prepaid').
-- It is written once with the payment row, whose page is written anyway. The counter reads a
-- payment's lines only for that payment (its void); the allocation is also on the receipt snapshot,
-- in the outbox event and in the audit entry, and the books are the central ledger's.
ALTER TABLE payments ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';
UPDATE payments SET lines = (
    SELECT json_group_array(json_array(l.kind, l.bill_id, l.period, l.amount_fen) ORDER BY l.seq)
    FROM payment_lines l WHERE l.payment_id = payments.id)
WHERE id IN (SELECT payment_id FROM payment_lines);
DROP TABLE payment_lines;
