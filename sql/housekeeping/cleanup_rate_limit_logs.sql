-- public.cleanup_rate_limit_logs(): returns the rows deleted. The seed's daily 02:00 job, kept under its name:
-- deletes public.rate_limit_log rows past their retention (monitoring.retention_policies, default 7 days) in
-- bounded batches. Owner and service_role only.
create or replace function public.cleanup_rate_limit_logs()
returns bigint
language sql
set search_path = ''
as $$
    select monitoring.apply_retention(pg_catalog.now(), 1000, 'public.rate_limit_log')
$$;

comment on function public.cleanup_rate_limit_logs() is
'Deletes rate_limit_log rows past their retention in batches (the seed''s daily job). Not for API users.';

revoke execute on function public.cleanup_rate_limit_logs() from public, anon, authenticated;
grant execute on function public.cleanup_rate_limit_logs() to service_role;
