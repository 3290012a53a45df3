#!/bin/sh
# central-setup.sh - set up the head office: the utility's CA, certificates,
# the central database and its migrations, station registration.
#
#   central-setup.sh ca DIR                 create the CA (DIR/ca.crt, DIR/ca.key);
#                                           an existing CA in DIR is kept
#   central-setup.sh server-cert DIR NAME... server certificate signed by the CA
#                                           (DIR/server.crt, DIR/server.key);
#                                           NAMEs: DNS names or IP addresses the
#                                           stations connect to
#   central-setup.sh station-cert DIR NUMBER client certificate of a station
#                                           (DIR/kv_station_NNNNN.crt/.key, CN = role)
#   central-setup.sh migrate                create the database if missing and
#                                           apply db/central/*.sql in order
#   central-setup.sh add-station NUMBER OFFICE NAME [HOURS [MONEY]]
#                                           register a station (role + row) or
#                                           update its office, name, offline limits
#   central-setup.sh hba                    print the pg_hba.conf and pg_ident.conf
#                                           lines for certificate login
#
# The database commands connect as a PostgreSQL superuser with libpq's
# environment (PGHOST, PGPORT, PGUSER; on the server itself, run as the
# postgres user).  KV_CENTRAL_DB names the database (default kilovend),
# KV_CENTRAL_SQL the migrations folder (default: db/central beside this
# script, or the installed copy).  A CA key is the utility's most valuable
# file after the key file: keep DIR on the head office's machine, 0700.
set -eu

prog=$(basename "$0")
die() {
    echo "$prog: $*" >&2
    exit 1
}

db=${KV_CENTRAL_DB:-kilovend}
case "$db" in
[a-z_]*) ;;
*) die "KV_CENTRAL_DB '$db' must be a lower-case identifier" ;;
esac
case "$db" in
*[!a-z0-9_]*) die "KV_CENTRAL_DB '$db' must be a lower-case identifier" ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${KV_CENTRAL_SQL:-}" ]; then
    sqldir=$KV_CENTRAL_SQL
elif [ -d "$here/../db/central" ]; then
    sqldir=$here/../db/central
else
    sqldir=/usr/share/kilovend/central
fi

need() { # need PROGRAM PACKAGE
    command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (Debian package $2)"
}

# A station number: 1..4094 (its card serials are station << 20 | n), printed as the five-digit role name.
station_role() {
    case "$1" in
    '' | *[!0-9]*) die "station number '$1' is not a number" ;;
    esac
    [ "$1" -ge 1 ] && [ "$1" -le 4094 ] || die "station number $1 is not in 1..4094"
    printf 'kv_station_%05d' "$1"
}

new_key() { # new_key FILE: a P-256 key, readable by its owner only
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null) ||
        die "cannot create the key $1"
}

# sign DIR NAME CN EXTFILE: DIR/NAME.crt from a new DIR/NAME.key, signed by DIR's CA.
sign() {
    [ -f "$1/ca.crt" ] && [ -f "$1/ca.key" ] || die "no CA in $1 (run: $prog ca $1)"
    new_key "$1/$2.key"
    openssl req -new -key "$1/$2.key" -subj "/CN=$3" -out "$1/$2.csr" 2>/dev/null ||
        die "cannot create the request for $2"
    openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial \
        -days 825 -sha256 -extfile "$4" -out "$1/$2.crt" 2>/dev/null || die "cannot sign $2"
    rm -f "$1/$2.csr" "$4"
}

cmd_ca() {
    [ $# -eq 1 ] || die "usage: $prog ca DIR"
    need openssl openssl
    mkdir -p "$1"
    chmod 700 "$1"
    if [ -f "$1/ca.crt" ] && [ -f "$1/ca.key" ]; then
        echo "$1: using the existing CA"
        return
    fi
    new_key "$1/ca.key"
    openssl req -x509 -new -key "$1/ca.key" -sha256 -days 3650 -subj "/CN=Kilovend utility CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1/ca.crt" 2>/dev/null || die "cannot create the CA certificate"
    echo "$1/ca.crt: new CA"
}

cmd_server_cert() {
    [ $# -ge 2 ] || die "usage: $prog server-cert DIR NAME..."
    need openssl openssl
    dir=$1
    shift
    san=""
    for n in "$@"; do
        case "$n" in
        *[!0-9.]*) san="$san,DNS:$n" ;;
        *) san="$san,IP:$n" ;;
        esac
    done
    ext=$(mktemp)
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "${san#,}" >"$ext"
    sign "$dir" server "$1" "$ext"
    echo "$dir/server.crt: for ${san#,}"
}

cmd_station_cert() {
    [ $# -eq 2 ] || die "usage: $prog station-cert DIR NUMBER"
    need openssl openssl
    role=$(station_role "$2")
    ext=$(mktemp)
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$ext"
    sign "$1" "$role" "$role" "$ext"
    echo "$1/$role.crt: station $2 (give the station $role.crt, $role.key and ca.crt)"
}

psql_db() { # psql_db DB ARGS...
    d=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 -d "$d" "$@"
}

cmd_migrate() {
    [ $# -eq 0 ] || die "usage: $prog migrate"
    need psql postgresql-client-15
    need sha256sum coreutils
    [ -d "$sqldir" ] || die "no migrations folder $sqldir"
    exists=$(psql_db postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ||
        die "cannot reach the PostgreSQL server as a superuser (PGHOST, PGPORT, PGUSER)"
    if [ "$exists" != 1 ]; then
        psql_db postgres -c "CREATE DATABASE $db" || die "cannot create the database $db"
        echo "$db: created"
    fi
    psql_db "$db" -c "SET client_min_messages = warning;
        CREATE SCHEMA IF NOT EXISTS kv_meta;
        REVOKE ALL ON SCHEMA kv_meta FROM PUBLIC;
        CREATE TABLE IF NOT EXISTS kv_meta.migrations (
            name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    applied=0
    for f in "$sqldir"/[0-9]*.sql; do
        [ -f "$f" ] || die "no migrations in $sqldir"
        name=$(basename "$f")
        sum=$(sha256sum "$f" | cut -d' ' -f1)
        have=$(psql_db "$db" -tA -c "SELECT sha256 FROM kv_meta.migrations WHERE name = '$name'")
        if [ "$have" = "$sum" ]; then
            continue
        elif [ -n "$have" ]; then
            die "$name was changed after it was applied to $db: add a new migration instead"
        fi
        # One transaction per migration, with its record; a second
        # setup running at the same time waits on the lock.
        { echo "SELECT pg_advisory_xact_lock(4239001);"
          cat "$f"
          printf '\nRESET ROLE;\nINSERT INTO kv_meta.migrations(name, sha256) VALUES (%s, %s);\n' \
              "'$name'" "'$sum'"; } | psql_db "$db" -1 -f - >/dev/null ||
            die "$name failed: nothing of it was applied"
        echo "$db: applied $name"
        applied=$((applied + 1))
    done
    [ "$applied" -gt 0 ] || echo "$db: up to date"
}

cmd_add_station() {
    [ $# -ge 3 ] && [ $# -le 5 ] || die "usage: $prog add-station NUMBER OFFICE NAME [HOURS [MONEY]]"
    need psql postgresql-client-15
    role=$(station_role "$1")
    case "$2${4:-0}${5:-0}" in
    *[!0-9]*) die "office, hours and money must be whole numbers" ;;
    esac
    echo "SELECT kv.register_station(:no, :office, :'name', :hours, :money)" |
        psql_db "$db" -tA -v no="$1" -v office="$2" -v name="$3" -v hours="${4:-72}" \
            -v money="${5:-0}" -f - >/dev/null || die "cannot register station $1"
    echo "station $1 (office $2): role $role"
}

cmd_hba() {
    cat <<HBA
# pg_hba.conf: stations log in over TLS with their certificate only (first
# match wins: put these above any other line for this database).
hostssl $db  all  0.0.0.0/0  cert map=kv_stations
hostssl $db  all  ::/0       cert map=kv_stations
# pg_ident.conf: certificate CN kv_station_NNNNN -> the role of that name.
kv_stations  /^(kv_station_[0-9]{5})\$  \\1
# postgresql.conf: ssl = on, ssl_cert_file, ssl_key_file, ssl_ca_file = ca.crt
HBA
}

[ $# -ge 1 ] || die "usage: $prog ca|server-cert|station-cert|migrate|add-station|hba ... (see the top of this file)"
cmd=$1
shift
case "$cmd" in
ca) cmd_ca "$@" ;;
server-cert) cmd_server_cert "$@" ;;
station-cert) cmd_station_cert "$@" ;;
migrate) cmd_migrate "$@" ;;
add-station) cmd_add_station "$@" ;;
hba) cmd_hba "$@" ;;
*) die "unknown command '$cmd'" ;;
esac
