-- public.check_error_rate_threshold(): the seed's error check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule critical_errors_per_hour now and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. No time parameter: API callers must not move the clock.
-- Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_error_rate_threshold()
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('critical_errors_per_hour', pg_catalog.now());
end;
$$;

comment on function public.check_error_rate_threshold() is
'Evaluates rule critical_errors_per_hour now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_error_rate_threshold() from public, anon;
grant execute on function public.check_error_rate_threshold() to authenticated, service_role;
