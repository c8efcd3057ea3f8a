-- Job supalert-verify-backup: the seed's weekly check, Sunday 01:00 UTC: alert (backup_stale) when the newest
-- verified backup recorded in monitoring.backup_log is older than the rule's threshold.
select cron.schedule(
    'supalert-verify-backup',
    '0 1 * * 0',
    $$select count(*) from monitoring.verify_latest_backup()$$
);
