-- 017-report-plans.sql - head office's reports of whole days read no sales
-- (docs/multi-office.md, "Central reports at 10 million sales").
--
-- kv_report.summary_in (013) takes whole days from kv.sales_daily and the
-- partial hours at either end from kv_report.sales_in.  For a report of
-- whole days both of those ranges are empty, but the sales query was still
-- planned and, at 10 million sales, its estimated cost passed jit_above_cost:
-- each call compiled a plan that found no row (25-60 ms), twice per day, so
-- the month's days took 0.9-1.45 s warm.  The report functions now run
-- without JIT (a function's SET holds for the functions it calls): they read
-- a summary or a few hours of sales, never enough for compilation to pay,
-- and an empty range costs one index probe.  Results are unchanged.
SET LOCAL ROLE kv_central_owner;

ALTER FUNCTION kv_report.summary_in(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.sales_in(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.period(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.payments(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.month_days(date, text) SET jit = off;

RESET ROLE;
