-- Job supalert-partitions: every hour at minute 7, makes the telemetry tables' day partitions a week ahead, moves
-- rows out of their default partitions and drops partitions past retention (monitoring.maintain_partitions).
select cron.schedule(
    'supalert-partitions',
    '7 * * * *',
    $$select count(*) from monitoring.maintain_partitions()$$
);
