-- A dispute or hazard report is its own receipt: the pushing officer is its author, and
-- the hash of the body it came with is kept on its row. A push then writes one
-- UUID-keyed index entry per report instead of two (`sync_receipt` keeps the receipts
-- of the other record types).
ALTER TABLE field_report ADD COLUMN body_hash TEXT;

UPDATE field_report
SET body_hash = (SELECT r.body_hash FROM sync_receipt r WHERE r.client_uuid = field_report.client_uuid);

DELETE FROM sync_receipt
WHERE record_type = 'field_report'
  AND client_uuid IN (SELECT client_uuid FROM field_report WHERE body_hash IS NOT NULL);
