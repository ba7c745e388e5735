-- Accounts can be disabled (no sign-in of any kind; every token already out is revoked) and
-- removed (disabled, hidden from every listing, username and national id freed; its sittings
-- and results stay, as the record of what happened).
ALTER TABLE users
    ADD COLUMN disabled_at timestamptz,
    ADD COLUMN removed_at timestamptz;
