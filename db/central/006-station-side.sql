-- 006-station-side.sql - what the station side needs of the head office
-- (docs/multi-office.md, "The station side").
--
-- Station numbers are 1..4094: a station's number is in its card serials
-- (station << 20 | n, 32 bits, 0xFFFFFFFF reserved), in its tokens' office
-- field and can be its token issuer (1..32767): the serials are the
-- narrowest.  A number above 4094 could not issue a card: kv.register_station
-- (and tools/central-setup.sh, with a clearer message) now fail on it.
SET LOCAL ROLE kv_central_owner;

ALTER TABLE kv.stations DROP CONSTRAINT stations_station_no_check;
ALTER TABLE kv.stations ADD CONSTRAINT stations_station_no_check CHECK (station_no BETWEEN 1 AND 4094);

-- A station's sales also end 'issued' (the token may be on the card; not
-- sold until proven) and 'void' (never paid: its credit can no longer
-- load), docs/station.md "Issued sales".  Neither counts as sold.
ALTER TABLE kv.sale_states DROP CONSTRAINT sale_states_state_check;
ALTER TABLE kv.sale_states ADD CONSTRAINT sale_states_state_check
    CHECK (state IN ('pending', 'written', 'completed', 'failed', 'cancelling', 'cancelled', 'issued', 'void'));

RESET ROLE;
