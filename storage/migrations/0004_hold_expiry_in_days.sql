-- Hold expiry counts calendar days (SPEC 5: "expire the hold after M days"); it counted
-- business days before. A value an admin saved keeps its meaning: M business days are
-- about M * 7 / 5 days (rounded up), within the setting's 1 to 120.
UPDATE settings
SET value = CAST(MIN(120, (CAST(value AS INTEGER) * 7 + 4) / 5) AS TEXT)
WHERE key = 'hold_expiry_days' AND CAST(value AS INTEGER) BETWEEN 1 AND 120;
