-- 019-month-blocks.sql - the month's tariff blocks across offices
-- (docs/multi-office.md, "The month's blocks across offices").
--
-- What the other stations of the utility sold each meter in a month, as
-- head office holds it (kv.meter_month, pulled as "month_blocks"): energy
-- bought with completed sales (0.01 kWh, free energy excluded) and how
-- many of those sales paid the month's fixed charge.  month is year * 100
-- + month, in the utility's time zone.  A sale prices its blocks on this
-- station's own completed sales of the month plus these rows (never this
-- station's own row: its sales are here already, the ones not pushed yet
-- included).  Replaced by each pull; never written otherwise.
CREATE TABLE month_blocks_remote (
    meter_number INTEGER NOT NULL,
    month INTEGER NOT NULL CHECK (month BETWEEN 190001 AND 999912),
    station_no INTEGER NOT NULL,
    energy INTEGER NOT NULL CHECK (energy >= 0),
    fixed_paid INTEGER NOT NULL CHECK (fixed_paid >= 0),
    pulled_at INTEGER NOT NULL,
    PRIMARY KEY (meter_number, month, station_no)
) WITHOUT ROWID;
