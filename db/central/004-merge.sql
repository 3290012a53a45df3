-- 004-merge.sql - the merge rules: per-meter and per-card state recomputed
-- from every station's records.
--
--   meter sequence   the maximum of every token sequence used for the meter
--                    (sales, cancellations, engineering tokens) and of the
--                    last sequence the meter reported in a readback;
--   readback         the one with the highest meter counter (the newest);
--   sold             the sum over sales whose latest state is completed (or
--                    cancelling: a cancellation not finished has not taken
--                    the credit back yet), recomputed, never a maximum: two
--                    offices' sales add up, a cancelled sale drops out;
--   card status      the most restrictive any station reported, in the order
--                    issuing < active < replaced < lost < failed < blocked.
--
-- Both functions lock the state row before reading the records, so that
-- under READ COMMITTED a concurrent push for the same meter has committed
-- before the sums are taken (no lost update); kv_api.push calls them in
-- ascending order (no deadlock).
SET LOCAL ROLE kv_central_owner;

CREATE FUNCTION kv.card_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_position(ARRAY['issuing', 'active', 'replaced', 'lost', 'failed', 'blocked'], status)
$$;

CREATE FUNCTION kv.merge_meter(m integer) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    mx bigint;
    rb record;
    sold record;
BEGIN
    INSERT INTO kv.meter_state(meter_number) VALUES (m) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM kv.meter_state WHERE meter_number = m FOR UPDATE;

    SELECT greatest((SELECT max(seq) FROM kv.sales WHERE meter_number = m),
                    (SELECT max(cancel_seq) FROM kv.sale_states WHERE meter_number = m),
                    (SELECT max(seq) FROM kv.engineering_tokens WHERE meter_number = m),
                    (SELECT max(last_seq) FROM kv.readbacks WHERE meter_number = m))
        INTO mx;
    SELECT station_no, local_id, counter, content INTO rb FROM kv.readbacks
        WHERE meter_number = m ORDER BY counter DESC, read_at DESC, station_no, local_id LIMIT 1;
    SELECT coalesce(sum(s.energy), 0) AS energy, coalesce(sum(s.amount), 0) AS amount,
           count(*) AS n INTO sold
        FROM kv.sales s
        WHERE s.meter_number = m
          AND (SELECT st.state FROM kv.sale_states st
                WHERE st.station_no = s.station_no AND st.sale_id = s.local_id
                ORDER BY st.local_id DESC LIMIT 1) IN ('completed', 'cancelling');

    UPDATE kv.meter_state ms SET
        max_seq = greatest(ms.max_seq, coalesce(mx, 0)),
        rb_station = coalesce(rb.station_no, ms.rb_station),
        rb_local_id = coalesce(rb.local_id, ms.rb_local_id),
        rb_counter = coalesce(rb.counter, ms.rb_counter),
        rb_content = coalesce(rb.content, ms.rb_content),
        sold_energy = sold.energy, sold_amount = sold.amount, sold_count = sold.n
    WHERE ms.meter_number = m
      AND (ms.max_seq, ms.rb_station, ms.rb_local_id, ms.sold_energy, ms.sold_amount, ms.sold_count)
          IS DISTINCT FROM (greatest(ms.max_seq, coalesce(mx, 0)), coalesce(rb.station_no, ms.rb_station),
                            coalesce(rb.local_id, ms.rb_local_id), sold.energy, sold.amount, sold.n);
END
$$;

CREATE FUNCTION kv.merge_card(serial bigint) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    issued record;
    worst text;
BEGIN
    INSERT INTO kv.card_state(serial, status) VALUES (serial, 'issuing') ON CONFLICT DO NOTHING;
    PERFORM 1 FROM kv.card_state cs WHERE cs.serial = merge_card.serial FOR UPDATE;

    SELECT station_no, meter_number, type INTO issued FROM kv.cards c
        WHERE c.local_id = merge_card.serial ORDER BY station_no LIMIT 1;
    SELECT s INTO worst FROM (
        SELECT c.status AS s FROM kv.cards c WHERE c.local_id = merge_card.serial
        UNION ALL
        SELECT cs.status FROM kv.card_statuses cs WHERE cs.card_serial = merge_card.serial) x
        ORDER BY kv.card_status_rank(s) DESC LIMIT 1;

    UPDATE kv.card_state cs SET
        station_no = issued.station_no, meter_number = issued.meter_number, type = issued.type,
        status = worst
    WHERE cs.serial = merge_card.serial
      AND (cs.station_no, cs.meter_number, cs.type, cs.status)
          IS DISTINCT FROM (issued.station_no, issued.meter_number, issued.type, worst);
END
$$;

RESET ROLE;
GRANT SELECT ON kv.sales, kv.sale_states, kv.engineering_tokens, kv.readbacks, kv.cards,
    kv.card_statuses TO kv_central_merger;
GRANT SELECT, INSERT, UPDATE ON kv.meter_state, kv.card_state TO kv_central_merger;
ALTER FUNCTION kv.merge_meter(integer) OWNER TO kv_central_merger;
ALTER FUNCTION kv.merge_card(bigint) OWNER TO kv_central_merger;
REVOKE ALL ON FUNCTION kv.merge_meter(integer), kv.merge_card(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv.merge_meter(integer), kv.merge_card(bigint) TO kv_central_owner;
GRANT EXECUTE ON FUNCTION kv.card_status_rank(text) TO kv_central_merger;
