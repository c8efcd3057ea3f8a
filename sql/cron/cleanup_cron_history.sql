-- Job supalert-cleanup-cron-history: daily at 03:17 UTC, deletes pg_cron's run log older than 7 days.
-- pg_cron never purges cron.job_run_details, and the every-minute evaluation job adds 1,440 rows a day.
-- Scheduling by name updates the job in place, so re-running this file is safe.
select cron.schedule(
    'supalert-cleanup-cron-history',
    '17 3 * * *',
    $$delete from cron.job_run_details where end_time < now() - interval '7 days'$$
);
