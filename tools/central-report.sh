#!/bin/sh
# central-report.sh - head office reports across offices (db/central/007-reports.sql).
#
#   central-report.sh daily [DAY]          one day (YYYY-MM-DD, default today)
#   central-report.sh monthly [MONTH]      one month (YYYY-MM, default this month)
#   central-report.sh days [MONTH]         every day of a month, per office
#   central-report.sh customer ACCOUNT     a customer's sales at every office
#   central-report.sh payments [PERIOD]    revenue by payment type (PERIOD: YYYY-MM-DD
#                                          or YYYY-MM, default today)
#   central-report.sh refunds [PERIOD]     refunds paid out, by station and office
#   central-report.sh alarms [--all]       meters whose readback shows more loaded than
#                                          every office sold (exit 3 while one is open)
#   central-report.sh debts [--all]        customers' debt settled across offices
#   central-report.sh paid-back            overpaid debt paid back by head office
#   central-report.sh settlements [MONTH]  the month's blocks and fixed charge settled
#                                          across offices (YYYY-MM, default this month)
# Options (before the command): --csv (CSV instead of a table), --tz ZONE
# (the days' time zone, default $KV_REPORT_TZ or UTC).
#
# Rows of daily and monthly: one per station, then its office's total
# (level "office"), and the utility's total last (level "total").  Amounts
# in minor units, energy in 1/100 kWh; sold = completed (or a cancellation
# not finished), cancelled, open = not settled yet.
#
# Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE or
# KV_CENTRAL_DB) as a member of kv_central_admin or a superuser; a station's
# role is refused.
set -eu
prog=$(basename "$0")
die() {
    echo "$prog: $*" >&2
    exit 1
}
format=aligned
tz=${KV_REPORT_TZ:-UTC}
while [ $# -gt 0 ]; do
    case "$1" in
    --csv) format=csv; shift ;;
    --tz) [ $# -ge 2 ] || die "--tz needs a zone"; tz=$2; shift 2 ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || die "usage: $prog [--csv] [--tz ZONE] daily [DAY] | monthly [MONTH] | days [MONTH] | customer ACCOUNT | payments [PERIOD] | refunds [PERIOD] | alarms [--all] | debts [--all] | paid-back | settlements [MONTH]"
command -v psql >/dev/null 2>&1 || die "psql is not installed (Debian package postgresql-client-15)"
cmd=$1
shift
check_day() {
    printf '%s' "$1" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' || die "'$1' is not a day (YYYY-MM-DD)"
}
check_month() {
    printf '%s' "$1" | grep -Eq '^[0-9]{4}-[0-9]{2}$' || die "'$1' is not a month (YYYY-MM)"
}
case "$cmd" in
daily)
    [ $# -le 1 ] || die "usage: $prog daily [YYYY-MM-DD]"
    arg=${1:-$(TZ=$tz date +%Y-%m-%d)}
    check_day "$arg"
    sql="SELECT * FROM kv_report.daily(:'arg'::date, :'tz')" ;;
monthly | days)
    [ $# -le 1 ] || die "usage: $prog $cmd [YYYY-MM]"
    arg=${1:-$(TZ=$tz date +%Y-%m)}
    check_month "$arg"
    f=monthly
    [ "$cmd" = monthly ] || f=month_days
    arg=$arg-01
    sql="SELECT * FROM kv_report.$f(:'arg'::date, :'tz')" ;;
customer)
    [ $# -eq 1 ] || die "usage: $prog customer ACCOUNT"
    arg=$1
    sql="SELECT to_char(to_timestamp(created_at) AT TIME ZONE :'tz', 'YYYY-MM-DD HH24:MI') AS at, office,
                station_no, sale, meter_number, card_serial, amount, energy, cumulative, state
         FROM kv_report.customer_history(:'arg')" ;;
payments | refunds)
    [ $# -le 1 ] || die "usage: $prog $cmd [YYYY-MM-DD | YYYY-MM]"
    arg=${1:-$(TZ=$tz date +%Y-%m-%d)}
    printf '%s' "$arg" | grep -Eq '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$' ||
        die "'$arg' is not a day (YYYY-MM-DD) or a month (YYYY-MM)"
    sql="SELECT r.* FROM kv_report.span(:'arg', :'tz') p, kv_report.$cmd(p.from_ts, p.to_ts) r" ;;
alarms | debts)
    if [ $# -gt 1 ] || { [ $# -eq 1 ] && [ "$1" != --all ]; }; then die "usage: $prog $cmd [--all]"; fi
    arg=false
    [ $# -eq 0 ] || arg=true
    f=debts
    [ "$cmd" = debts ] || f=loaded_above_sold
    sql="SELECT * FROM kv_report.$f(:'arg'::boolean)" ;;
paid-back)
    [ $# -eq 0 ] || die "usage: $prog paid-back"
    arg=""
    sql="SELECT * FROM kv_report.debt_paid_back()" ;;
settlements)
    [ $# -le 1 ] || die "usage: $prog settlements [YYYY-MM]"
    arg=${1:-$(TZ=$tz date +%Y-%m)}
    check_month "$arg"
    arg=$arg-01
    sql="SELECT * FROM kv_report.month_settlements(:'arg'::date)" ;;
*) die "unknown report '$cmd' (daily, monthly, days, customer, payments, refunds, alarms, debts, paid-back, settlements)" ;;
esac
fmt=""
[ "$format" = csv ] && fmt=--csv
db=${PGDATABASE:-${KV_CENTRAL_DB:-kilovend}}
echo "$sql" | psql -X -q -v ON_ERROR_STOP=1 $fmt -d "$db" \
    -v arg="$arg" -v tz="$tz" -f - || die "the $cmd report failed (see above)"
# The alarm for monitoring: credit loaded that no office sold.
if [ "$cmd" = alarms ]; then
    open=$(psql -X -q -tA -v ON_ERROR_STOP=1 -d "$db" -c "SELECT count(*) FROM kv_report.loaded_above_sold()") ||
        die "the alarms report failed (see above)"
    if [ "$open" -gt 0 ]; then
        echo "$prog: ALARM: $open meter(s) loaded more credit than every office sold" >&2
        exit 3
    fi
fi
