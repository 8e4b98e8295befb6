-- Printing. `receipt` is the snapshot of what the receipt says (print::Receipt as JSON), taken in the
-- payment's transaction, so every reprint shows exactly the original. `printed_at` is when the
-- original was printed; later prints are reprints, counted in `reprints`, marked 重打 and audited.
-- Printer and paper settings live in `settings` under the key `print`.
ALTER TABLE payments ADD COLUMN receipt TEXT;
ALTER TABLE payments ADD COLUMN printed_at TEXT;
