-- The emergency allowance a parameter card sets (whole kWh, 0 = none;
-- docs/card-format.md, "Fourth revision").  Stored with the token so that
-- an interrupted issue is sealed again with the same body.  NULL on tokens
-- recorded before it existed: they carried no allowance (0).
ALTER TABLE engineering_tokens ADD COLUMN emergency_kwh INTEGER
    CHECK (emergency_kwh IS NULL OR emergency_kwh BETWEEN 0 AND 255);
