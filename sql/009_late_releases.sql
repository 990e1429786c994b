-- The audit check also flags served entries released after their grant ended: revoked, expired,
-- or made under a staff registration that had changed (a lying chain node can make a gateway do
-- that; the contract logs such entries as ordinary served ones).
ALTER TABLE audit_findings DROP CONSTRAINT audit_findings_kind_check;
ALTER TABLE audit_findings ADD CONSTRAINT audit_findings_kind_check CHECK (kind IN (
    'missing_on_chain', 'unknown_here', 'commitment_mismatch',
    'served_after_revocation', 'served_after_expiry', 'served_after_registration_change'));
