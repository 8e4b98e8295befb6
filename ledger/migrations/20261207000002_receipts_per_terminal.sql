-- Receipt numbers are unique per terminal at the ledger (issue 17, part 1): the receipt a payment
-- or vend printed (`receipt_no` of its payload) is kept on its event, and an index makes a second
-- claim impossible. A payment that repeats a number is money all the same: it is stored without the
-- column (its payload keeps the number) and flagged `receipt_reused` for review.
ALTER TABLE events ADD COLUMN receipt_no TEXT;

-- Events stored before: the first event of each (terminal, receipt) by seq claims it.
UPDATE events e SET receipt_no = f.receipt_no
FROM (SELECT DISTINCT ON (terminal, payload::jsonb ->> 'receipt_no') event_id, payload::jsonb ->> 'receipt_no' AS receipt_no
      FROM events WHERE kind IN ('payment', 'vend') AND payload::jsonb ->> 'receipt_no' IS NOT NULL
      ORDER BY terminal, payload::jsonb ->> 'receipt_no', seq) AS f
WHERE e.event_id = f.event_id;

CREATE UNIQUE INDEX events_receipt ON events (terminal, receipt_no) WHERE receipt_no IS NOT NULL;
