-- 010-free-energy.sql: sales that carry a free allocation (the station's
-- db/015-free-energy.sql, docs/station.md "Free basic electricity").
--
-- A station's sale record carries "free_energy" (0.01 kWh) and
-- "free_month" when its token adds a free allocation; a free allocation
-- alone is a sale of amount 0.  Here kv.sales.energy is the credit the
-- sale's token adds to the meter's cumulative (energy bought + free), so
-- every sum of it (the per-meter merge that stations pull as what other
-- offices sold, the cross-office check of loaded against sold) counts the
-- free energy the meter may load; kv.sales.free_energy is the free part and
-- energy - free_energy the energy bought.  The record's content stays as
-- the station sent it (a sale without a free allocation has neither field,
-- so its content is the same as before this migration).
ALTER TABLE kv.sales DROP CONSTRAINT sales_amount_check;
ALTER TABLE kv.sales ADD CONSTRAINT sales_amount_check CHECK (amount >= 0);
ALTER TABLE kv.sales ADD COLUMN free_energy bigint NOT NULL DEFAULT 0;
ALTER TABLE kv.sales ADD CONSTRAINT sales_free_energy_check
    CHECK (free_energy >= 0 AND free_energy <= energy AND (amount > 0 OR free_energy = energy));

CREATE FUNCTION kv.sale_free_energy() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.free_energy := coalesce(kv.field_int(NEW.content, 'free_energy', 'sale', false), 0);
    IF NEW.free_energy < 0 THEN
        RAISE EXCEPTION 'sale %: free_energy below 0', NEW.local_id USING ERRCODE = 'check_violation';
    END IF;
    NEW.energy := NEW.energy + NEW.free_energy;
    RETURN NEW;
END
$$;
CREATE TRIGGER sales_free_energy BEFORE INSERT ON kv.sales
    FOR EACH ROW EXECUTE FUNCTION kv.sale_free_energy();
-- A trigger's function, called by no one (stations only through kv_api).
REVOKE ALL ON FUNCTION kv.sale_free_energy() FROM PUBLIC;
