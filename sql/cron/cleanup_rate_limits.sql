-- Job supalert-cleanup-rate-limits: the seed's daily 02:00 UTC cleanup of public.rate_limit_log.
select cron.schedule(
    'supalert-cleanup-rate-limits',
    '0 2 * * *',
    $$select public.cleanup_rate_limit_logs()$$
);
