-- Job supalert-retention: every 10 minutes, deletes rows past their retention (monitoring.retention_policies) in
-- bounded batches, one short transaction per run. Scheduling by name updates the job in place.
select cron.schedule(
    'supalert-retention',
    '*/10 * * * *',
    $$select monitoring.apply_retention()$$
);
