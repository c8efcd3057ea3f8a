-- Job supalert-cleanup-rule-runs: daily at 03:27 UTC, deletes check-run log rows older than 14 days (one row per
-- rule per minute is about 20,000 rows a day). Scheduling by name updates the job in place.
select cron.schedule(
    'supalert-cleanup-rule-runs',
    '27 3 * * *',
    $$delete from monitoring.rule_runs where evaluated_at < now() - interval '14 days'$$
);
