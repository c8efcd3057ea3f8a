-- monitoring.function_calls_today(now): returns the edge-function calls since midnight UTC of p_now's day up to
-- p_now: the rolled-up hours of monitoring.function_call_hours (when they run unbroken from midnight) plus the raw
-- performance_metrics rows after them. Without a rollup it counts every raw row, which is correct, only slower.
-- The one definition of "calls today" (the daily quota rule and the system-health view). Owner only.
create or replace function monitoring.function_calls_today(p_now timestamptz)
returns bigint
language plpgsql
stable
set search_path = ''
-- The raw rows' bounds are plpgsql variables, constants to a custom plan: it prunes to today's partition while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
declare
    v_day_start timestamptz := pg_catalog.date_trunc('day', p_now, 'UTC');
    v_rolled bigint;
    v_rolled_until timestamptz;
    v_hours bigint;
    v_raw bigint;
begin
    select coalesce(pg_catalog.sum(f.calls), 0),
           coalesce(pg_catalog.max(f.hour_start) + interval '1 hour', v_day_start),
           pg_catalog.count(*)
      into v_rolled, v_rolled_until, v_hours
      from monitoring.function_call_hours as f
     where f.hour_start >= v_day_start and f.hour_start + interval '1 hour' <= p_now;
    -- Hours are only usable when they run unbroken from midnight; otherwise count everything raw.
    if v_rolled_until <> v_day_start + v_hours * interval '1 hour' then
        v_rolled := 0;
        v_rolled_until := v_day_start;
    end if;
    select pg_catalog.count(*)
      into v_raw
      from public.performance_metrics as m
     where m.metric_type = 'edge_function' and m.recorded_at >= v_rolled_until and m.recorded_at <= p_now;
    return v_rolled + v_raw;
end;
$$;

comment on function monitoring.function_calls_today(timestamptz) is
'Edge-function calls since midnight UTC up to now (hourly rollup plus raw rows after it). Owner only.';

revoke execute on function monitoring.function_calls_today(timestamptz) from public, anon, authenticated;
