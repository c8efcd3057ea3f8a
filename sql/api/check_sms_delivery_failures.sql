-- public.check_sms_delivery_failures(): the seed's SMS failure check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule failed_sms_per_hour now and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. No time parameter: API callers must not move the clock.
-- Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_sms_delivery_failures()
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('failed_sms_per_hour', pg_catalog.now());
end;
$$;

comment on function public.check_sms_delivery_failures() is
'Evaluates rule failed_sms_per_hour now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_sms_delivery_failures() from public, anon;
grant execute on function public.check_sms_delivery_failures() to authenticated, service_role;
