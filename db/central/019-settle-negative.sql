-- 019-settle-negative.sql - a month's settlement that owes the customer
-- (docs/multi-office.md, "The month's blocks settled at head office").
--
-- kv.month_blocks_settle (018) named the energy part of a difference as if
-- every tariff's blocks rose: "a lower block counted twice" when the
-- customer owes more, "a higher block charged too early" when less.  Under
-- a declining-block tariff (the first block dearer than the last) the usual
-- case is the other way round: two offices that did not know of each
-- other's sales both charge the dearer first block, and the month owes the
-- customer money back.  018 booked the right amount but called it "a
-- higher block charged too early".  The cause now follows the tariff
-- version of the month's last sale:
--
--   energy repriced   blocks rise                  blocks fall
--   higher (due)      a lower block counted twice  a lower block charged too early
--   lower (back)      a higher block charged too   a higher block counted twice
--                     early
--
-- The amount, its sign, its rounding (each sale's price is rounded on its
-- own positive cost, with the same rule) and the booking are 018's: a
-- negative difference is a negative kv.debt_adjust, below zero it is
-- debt_overpaid, paid back once with kv.debt_pay_back.
SET LOCAL ROLE kv_central_owner;

-- Whether the blocks of the meter's tariff version of the month's last sale
-- fall (the first block dearer than the last); NULL without a sale.
CREATE FUNCTION kv.month_blocks_fall(meter integer, month date) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (tv.blocks -> 0 ->> 'price_e4')::bigint > (tv.blocks -> -1 ->> 'price_e4')::bigint
    FROM kv.sales sa
    JOIN kv.meters mt ON mt.number = sa.meter_number
    JOIN kv.tariff_versions tv ON tv.code = mt.tariff_code AND tv.effective_from <= sa.created_at
    WHERE sa.meter_number = meter AND date_trunc('month', kv.day_of(sa.created_at, kv.zone()))::date = month
    ORDER BY sa.created_at DESC, tv.effective_from DESC
    LIMIT 1
$$;

-- The reason booked for a meter's month (kv.month_blocks_due's row, the
-- amount booked now): "month 2026-11, meter 123456782: fixed charge paid 2
-- times; a higher block counted twice, 33.98 back".
CREATE FUNCTION kv.month_settle_reason(month date, meter integer, fixed_paid bigint, energy_diff bigint,
                                       settled bigint, amount bigint)
    RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('month %s, meter %s: %s, %s %s', to_char(month, 'YYYY-MM'), meter,
        coalesce(nullif(concat_ws('; ',
            CASE fixed_paid WHEN 0 THEN 'fixed charge not paid' WHEN 1 THEN NULL
                            ELSE format('fixed charge paid %s times', fixed_paid) END,
            CASE sign(energy_diff) WHEN 0 THEN NULL
                 ELSE format('a %s block %s', CASE WHEN energy_diff > 0 THEN 'lower' ELSE 'higher' END,
                             CASE WHEN (energy_diff < 0) = coalesce(kv.month_blocks_fall(meter, month), false)
                                  THEN 'counted twice' ELSE 'charged too early' END) END,
            CASE sign(settled) WHEN 0 THEN NULL
                 ELSE kv.money_text(settled) || CASE WHEN settled > 0 THEN ' due' ELSE ' back' END
                      || ' settled before' END), ''),
            'repriced on every office''s sales'),
        kv.money_text(amount), CASE WHEN amount > 0 THEN 'due' ELSE 'back' END)
$$;

-- 018's settlement with that reason: the same checks, lock and booking.
CREATE OR REPLACE FUNCTION kv.month_blocks_settle(month date)
    RETURNS TABLE (meter_number integer, customer_id bigint, amount bigint, movement_id bigint, reason text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    refusal record; -- a check the call fails: (refused, SQLSTATE, why)
    d record;       -- a meter's row of kv.month_blocks_due
BEGIN
    -- (Head office's superuser only, as every debt write; READ COMMITTED,
    -- where a second settlement reads after the first commits; a month.)
    FOR refusal IN
        SELECT * FROM (VALUES
            (NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user), false),
             '42501', 'head office''s superuser only'),
            (current_setting('transaction_isolation') <> 'read committed', '25000',
             format('run it under READ COMMITTED, not %s', current_setting('transaction_isolation'))),
            (month IS NULL OR month <> date_trunc('month', month)::date, '22023',
             format('give the first day of a month, not %s', coalesce(month::text, 'NULL')))) c(refused, code, why)
        WHERE c.refused
    LOOP
        RAISE EXCEPTION USING MESSAGE = 'kv.month_blocks_settle: ' || refusal.why, ERRCODE = refusal.code;
    END LOOP;
    -- One settlement at a time: two at once would both book the difference.
    LOCK TABLE kv.month_settlements IN SHARE ROW EXCLUSIVE MODE;
    FOR d IN SELECT * FROM kv.month_blocks_due(month) LOOP
        meter_number := d.meter_number;
        customer_id := d.customer_id;
        amount := d.due - d.settled;
        movement_id := NULL;
        IF d.due IS NULL THEN
            reason := format('month %s, meter %s: not settled: %s', to_char(month, 'YYYY-MM'), d.meter_number,
                             d.problem);
        ELSIF amount = 0 THEN
            CONTINUE;
        ELSE
            reason := kv.month_settle_reason(month, d.meter_number, d.fixed_paid, d.energy_diff, d.settled, amount);
            PERFORM kv.debt_adjust(d.customer_id, amount, reason);
            INSERT INTO kv.month_settlements(meter_number, month, customer_id, amount, movement_id, reason)
            VALUES (d.meter_number, month, d.customer_id, amount,
                    currval(pg_get_serial_sequence('kv.debt_central', 'id')), reason)
            RETURNING kv.month_settlements.movement_id INTO movement_id;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv.month_blocks_fall(integer, date),
    kv.month_settle_reason(date, integer, bigint, bigint, bigint, bigint), kv.month_blocks_settle(date) FROM PUBLIC;
