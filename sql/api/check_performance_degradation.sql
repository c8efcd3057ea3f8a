-- public.check_performance_degradation(): the seed's response-time check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule slow_response_time_ms now and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. No time parameter: API callers must not move the clock.
-- Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_performance_degradation()
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('slow_response_time_ms', pg_catalog.now());
end;
$$;

comment on function public.check_performance_degradation() is
'Evaluates rule slow_response_time_ms now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_performance_degradation() from public, anon;
grant execute on function public.check_performance_degradation() to authenticated, service_role;
