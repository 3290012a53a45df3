-- 018-month-settle.sql - the month's tariff blocks and fixed charge settled
-- at head office (docs/multi-office.md, "The month's blocks settled at head
-- office").
--
-- A station prices a sale on what it knew of the month (its own sales and
-- the other stations' rows of kv.meter_month it had pulled).  A customer who
-- bought at two offices while one of them had not pulled the other's sales
-- may have had a lower block twice, or paid the month's fixed charge twice.
-- kv.month_blocks_settle(month) reprices, for every meter with completed
-- sales at two or more stations in the month (report zone), the month's
-- completed sales in created_at order as one station knowing everything
-- would have, and books the difference once for the meter's customer as a
-- visible debt adjustment (kv.debt_adjust), recorded in
-- kv.month_settlements; it flows down to the stations as an 'adjusted'
-- debt movement (settlement = 1).  Run again it books only what is still
-- unsettled (nothing, or the difference a late push or a cancel made).
--
-- Each sale keeps its energy (the customer has it).  Its price, with the
-- arithmetic of pricing energy (kv_tariff_price_energy_rule, kv-tariff.c):
--   P(cost_e6, fixed, vat_bp) = n + fixed + round_half_up((n + fixed) * vat_bp / 10000),
--   n = ceil(cost_e6 / 10^6)
-- charged:  cost_e6 from the sale's own blocks (energy x price_e4 of each),
--           fixed = the sale's fixed_charge;
-- right:    cost_e6 from the tariff version's blocks walked from the month's
--           energy before the sale (every station's completed sales before it,
--           energy bought, free energy excluded), fixed = the version's
--           fixed_monthly for the month's first completed sale only;
-- vat_bp and the blocks are the version the sale was priced with: the
-- meter's tariff version in force at the sale's created_at, which must
-- hold every price of the sale's blocks and its fixed charge (else the
-- meter is not settled and is named with the reason, never guessed).
-- The meter's difference is the sum over its sales of right - charged.
SET LOCAL ROLE kv_central_owner;

CREATE TABLE kv.month_settlements (
    id bigserial PRIMARY KEY,
    meter_number integer NOT NULL,
    month date NOT NULL CHECK (month = date_trunc('month', month)::date),
    customer_id bigint NOT NULL REFERENCES kv.customers(id),
    amount bigint NOT NULL CHECK (amount <> 0),
    movement_id bigint NOT NULL UNIQUE REFERENCES kv.debt_central(id),
    reason text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    by_role text NOT NULL DEFAULT session_user
);
CREATE INDEX month_settlements_month ON kv.month_settlements(month, meter_number);
CREATE TRIGGER month_settlements_immutable BEFORE UPDATE OR DELETE ON kv.month_settlements
    FOR EACH ROW EXECUTE FUNCTION kv.refuse_change();

-- The exact cost (10^-6 minor units) of energy bought from month position
-- pos, walked over a version's blocks ([{"upto": N|null, "price_e4": P}]).
CREATE FUNCTION kv.block_cost_e6(blocks jsonb, pos bigint, energy bigint) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b jsonb;
    lo bigint := 0;
    hi bigint;
    e bigint;
    done bigint := 0;
    cost numeric := 0;
BEGIN
    FOR b IN SELECT x FROM jsonb_array_elements(blocks) x LOOP
        EXIT WHEN done >= energy;
        hi := (b ->> 'upto')::bigint;
        e := CASE WHEN hi IS NULL THEN energy - done
                  WHEN pos + done >= hi THEN 0
                  ELSE least(hi - greatest(pos + done, lo), energy - done) END;
        IF e > 0 THEN
            cost := cost + e::numeric * (b ->> 'price_e4')::numeric;
            done := done + e;
        END IF;
        lo := coalesce(hi, lo);
    END LOOP;
    RETURN cost;
END
$$;

-- A sale's blocks as the station stored them: "energy:price_e4,..." or,
-- for sales stored before the station's db/016, a JSON array.
CREATE FUNCTION kv.sale_block_uses(blocks text) RETURNS TABLE (energy bigint, price_e4 bigint)
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (x ->> 'energy')::bigint, (x ->> 'price_e4')::bigint
    FROM jsonb_array_elements(CASE WHEN left(blocks, 1) = '[' THEN blocks::jsonb ELSE '[]' END) x
    UNION ALL
    SELECT split_part(u, ':', 1)::bigint, split_part(u, ':', 2)::bigint
    FROM unnest(string_to_array(CASE WHEN left(blocks, 1) = '[' THEN '' ELSE blocks END, ',')) u
    WHERE u <> ''
$$;

-- The price of a sale's energy (the rule above).
CREATE FUNCTION kv.energy_price(cost_e6 numeric, fixed bigint, vat_bp integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (n + fixed + div((n + fixed) * vat_bp + 5000, 10000))::bigint
    FROM (SELECT ceil(cost_e6 / 1000000) AS n) x
$$;

-- Minor units as text with two decimals (the reasons).
CREATE FUNCTION kv.money_text(v bigint) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (abs(v) / 100)::text || '.' || lpad((abs(v) % 100)::text, 2, '0')
$$;

-- Every meter of the month to settle: its difference now, what is already
-- settled, and the reason (or why it cannot be settled: amount NULL).
CREATE FUNCTION kv.month_blocks_due(month date)
    RETURNS TABLE (meter_number integer, customer_id bigint, due bigint, settled bigint,
                   fixed_paid bigint, energy_diff bigint, problem text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    z text := kv.zone();
    m record;
    s record;
    v record;
    pos bigint;
    is_first boolean;
    own numeric;
    right_cost numeric;
BEGIN
    FOR m IN
        SELECT x.meter_number, mt.tariff_code,
               coalesce((SELECT sum(ms.amount) FROM kv.month_settlements ms
                         WHERE ms.meter_number = x.meter_number AND ms.month = month_blocks_due.month), 0)::bigint AS settled
        FROM (SELECT k.meter_number FROM kv.meter_month k
              WHERE k.month = month_blocks_due.month AND k.energy + k.fixed_paid > 0
              GROUP BY 1 HAVING count(*) >= 2
              UNION
              SELECT ms.meter_number FROM kv.month_settlements ms WHERE ms.month = month_blocks_due.month) x
        JOIN kv.meters mt ON mt.number = x.meter_number
        ORDER BY 1
    LOOP
        meter_number := m.meter_number;
        customer_id := NULL;
        settled := m.settled;
        due := 0;
        fixed_paid := 0;
        energy_diff := 0;
        problem := NULL;
        pos := 0;
        is_first := true;
        FOR s IN
            SELECT sa.station_no, sa.local_id, sa.created_at, sa.customer_id, sa.energy - sa.free_energy AS bought,
                   coalesce((sa.content ->> 'fixed_charge')::bigint, 0) AS fixed, sa.content ->> 'blocks' AS blocks
            FROM kv.sales sa
            JOIN LATERAL (SELECT o.state FROM kv.sale_states o
                          WHERE o.station_no = sa.station_no AND o.sale_id = sa.local_id
                          ORDER BY o.local_id DESC LIMIT 1) ls ON ls.state = 'completed'
            WHERE sa.meter_number = m.meter_number
              AND date_trunc('month', kv.day_of(sa.created_at, z))::date = month_blocks_due.month
            ORDER BY sa.created_at, sa.station_no, sa.local_id
        LOOP
            -- (The debt is the customer's the month's sales were made to, not
            -- the meter's customer now: a meter handed to a new tenant.)
            IF s.customer_id IS NULL OR (NOT is_first AND s.customer_id IS DISTINCT FROM customer_id) THEN
                problem := format('sale %s of station %s: the month''s sales were made to more than one customer, '
                                  'or to none', s.local_id, s.station_no);
                EXIT;
            END IF;
            customer_id := s.customer_id;
            SELECT tv.* INTO v FROM kv.tariff_versions tv
            WHERE tv.code = m.tariff_code AND tv.effective_from <= s.created_at
            ORDER BY tv.effective_from DESC LIMIT 1;
            IF NOT FOUND THEN
                problem := format('sale %s of station %s: no tariff version %s in force', s.local_id,
                                  s.station_no, m.tariff_code);
                EXIT;
            END IF;
            -- (What a station pushed is read, never trusted: blocks that
            -- cannot be read name the sale, they do not stop the month.)
            BEGIN
                IF s.fixed NOT IN (0, v.fixed_monthly)
                   OR EXISTS (SELECT 1 FROM kv.sale_block_uses(s.blocks) u
                              WHERE u.energy IS NULL OR u.price_e4 IS NULL OR u.energy <= 0
                                 OR u.price_e4 NOT IN (SELECT (b ->> 'price_e4')::bigint
                                                                        FROM jsonb_array_elements(v.blocks) b))
                   OR coalesce((SELECT sum(u.energy) FROM kv.sale_block_uses(s.blocks) u), 0) <> s.bought THEN
                    problem := format('sale %s of station %s was not priced with tariff version %s', s.local_id,
                                      s.station_no, v.id);
                    EXIT;
                END IF;
                own := coalesce((SELECT sum(u.energy::numeric * u.price_e4) FROM kv.sale_block_uses(s.blocks) u), 0);
            EXCEPTION WHEN data_exception THEN
                problem := format('sale %s of station %s: its blocks cannot be read', s.local_id, s.station_no);
                EXIT;
            END;
            right_cost := kv.block_cost_e6(v.blocks, pos, s.bought);
            due := due + kv.energy_price(right_cost, CASE WHEN is_first THEN v.fixed_monthly ELSE 0 END, v.vat_bp)
                       - kv.energy_price(own, s.fixed, v.vat_bp);
            energy_diff := energy_diff + kv.energy_price(right_cost, 0, v.vat_bp) - kv.energy_price(own, 0, v.vat_bp);
            fixed_paid := fixed_paid + (s.fixed > 0)::int;
            pos := pos + s.bought;
            is_first := false;
        END LOOP;
        IF problem IS NOT NULL THEN
            due := NULL;
        ELSIF customer_id IS NULL THEN
            problem := 'no completed sale this month';
            due := NULL;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

-- Settle the month: one adjustment per meter for what is still unsettled.
-- Returns the adjustments booked and the meters that could not be settled.
CREATE FUNCTION kv.month_blocks_settle(month date)
    RETURNS TABLE (meter_number integer, customer_id bigint, amount bigint, movement_id bigint, reason text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d record;
    what text;
BEGIN
    -- (Debt is written by head office's superuser only, as kv.debt_adjust and
    -- kv.debt_pay_back: the reports role reads.)
    IF NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user), false) THEN
        RAISE EXCEPTION 'kv.month_blocks_settle: head office''s superuser only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The lock below orders two settlements; only under READ COMMITTED does
    -- the second one's reading start after the first committed (under
    -- REPEATABLE READ it would book the same difference again).
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'kv.month_blocks_settle: run it under READ COMMITTED, not %',
            current_setting('transaction_isolation') USING ERRCODE = 'invalid_transaction_state';
    END IF;
    IF month IS NULL OR month <> date_trunc('month', month)::date THEN
        RAISE EXCEPTION 'kv.month_blocks_settle: give the first day of a month, not %', coalesce(month::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One settlement at a time: two at once would both book the difference.
    LOCK TABLE kv.month_settlements IN SHARE ROW EXCLUSIVE MODE;
    FOR d IN SELECT * FROM kv.month_blocks_due(month) LOOP
        meter_number := d.meter_number;
        customer_id := d.customer_id;
        IF d.due IS NULL THEN
            amount := NULL;
            movement_id := NULL;
            reason := format('month %s, meter %s: not settled: %s', to_char(month, 'YYYY-MM'), d.meter_number,
                             d.problem);
            RETURN NEXT;
            CONTINUE;
        END IF;
        amount := d.due - d.settled;
        CONTINUE WHEN amount = 0;
        what := concat_ws('; ',
            CASE WHEN d.fixed_paid > 1 THEN format('fixed charge paid %s times', d.fixed_paid)
                 WHEN d.fixed_paid = 0 THEN 'fixed charge not paid' END,
            CASE WHEN d.energy_diff > 0 THEN 'a lower block counted twice'
                 WHEN d.energy_diff < 0 THEN 'a higher block charged too early' END,
            CASE WHEN d.settled <> 0 THEN format('%s %s settled before', kv.money_text(d.settled),
                                                 CASE WHEN d.settled > 0 THEN 'due' ELSE 'back' END) END);
        reason := format('month %s, meter %s: %s, %s %s', to_char(month, 'YYYY-MM'), d.meter_number,
                         coalesce(nullif(what, ''), 'repriced on every office''s sales'),
                         kv.money_text(amount), CASE WHEN amount > 0 THEN 'due' ELSE 'back' END);
        PERFORM kv.debt_adjust(d.customer_id, amount, reason);
        movement_id := currval(pg_get_serial_sequence('kv.debt_central', 'id'));
        INSERT INTO kv.month_settlements(meter_number, month, customer_id, amount, movement_id, reason)
        VALUES (d.meter_number, month, d.customer_id, amount, movement_id, reason);
        RETURN NEXT;
    END LOOP;
END
$$;

-- The month's settlements, with the customer.
CREATE FUNCTION kv_report.month_settlements(month date)
    RETURNS TABLE (meter_number integer, account text, name text, amount bigint, at timestamptz,
                   by_role text, reason text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.meter_number, c.account, c.name, s.amount, s.at, s.by_role, s.reason
    FROM kv.month_settlements s JOIN kv.customers c ON c.id = s.customer_id
    WHERE s.month = date_trunc('month', month_settlements.month)::date
    ORDER BY s.at, s.id
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv.block_cost_e6(jsonb, bigint, bigint), kv.sale_block_uses(text),
    kv.energy_price(numeric, bigint, integer), kv.money_text(bigint), kv.month_blocks_due(date),
    kv.month_blocks_settle(date), kv_report.month_settlements(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_report.month_settlements(date) TO kv_central_admin;
