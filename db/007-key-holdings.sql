-- Which master key versions each station of the utility holds (docs/keys.md,
-- "Rotation"): this station's own row is written when its keys change
-- (migration into a token, a keyload file imported, a rotation); other
-- stations' rows arrive with the multi-office sync (kv_key_holdings_record).
-- A version can become current for new meters once every active station
-- holds it.
CREATE TABLE key_holdings (
    station TEXT NOT NULL,
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 1 AND 254),
    backend TEXT NOT NULL CHECK (backend IN ('file', 'pkcs11')),
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (station, key_version)
) STRICT;
