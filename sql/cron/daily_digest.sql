-- Job supalert-daily-digest: daily at 08:00 UTC, gathers held notifications (routes with digest = true, such as
-- info alerts) into one digest notification per channel. Scheduling by name updates the job in place.
select cron.schedule(
    'supalert-daily-digest',
    '0 8 * * *',
    $$select monitoring.build_digest()$$
);
