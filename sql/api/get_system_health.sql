-- public.get_system_health(now): the system-health document (see monitoring.system_health) in one round trip, for
-- the dashboard (`supabase.rpc('get_system_health')`). Admins only; runs as the caller, and
-- monitoring.system_health checks the admin claim.
create or replace function public.get_system_health(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
    return monitoring.system_health(p_now);
end;
$$;

comment on function public.get_system_health(timestamptz) is
'Dashboard: errors, latency per edge function, users, limits, open alerts, evaluation age, outbox. Admins only.';

revoke execute on function public.get_system_health(timestamptz) from public, anon;
grant execute on function public.get_system_health(timestamptz) to authenticated, service_role;
