-- Job supalert-evaluate: every minute, evaluates every enabled rule that is due and writes the heartbeat.
-- pg_cron 1.4 (Debian) has no second schedules, so a minute is the finest step; detection takes at most about a
-- minute plus the rule's window. Scheduling by name updates the job in place, so re-running this file is safe.
select cron.schedule(
    'supalert-evaluate',
    '* * * * *',
    $$select count(*) from monitoring.evaluate()$$
);
