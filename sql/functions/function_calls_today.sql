-- monitoring.function_calls_today(now): returns the edge-function calls since midnight UTC of p_now's day up to
-- p_now: the rolled-up hours of monitoring.function_call_hours (when they run unbroken from midnight) plus the raw
-- performance_metrics rows after them. Without a rollup it counts every raw row, which is correct, only slower.
-- The one definition of "calls today" (the daily quota rule and the system-health view). Owner only.
create or replace function monitoring.function_calls_today(p_now timestamptz)
returns bigint
language plpgsql
stable
set search_path = ''
-- One generic plan per session, pruned to the window's partitions at run time; a custom plan would plan every
-- partition again on each call.
set plan_cache_mode = force_generic_plan
as $$
begin
    return (
        with day as (
            select pg_catalog.date_trunc('day', p_now, 'UTC') as day_start
        ),
        rolled as (
            select coalesce(pg_catalog.sum(f.calls), 0) as calls,
                   coalesce(pg_catalog.max(f.hour_start) + interval '1 hour', d.day_start) as rolled_until,
                   pg_catalog.count(f.hour_start) as hours
              from day as d
              left join monitoring.function_call_hours as f
                on f.hour_start >= d.day_start and f.hour_start + interval '1 hour' <= p_now
             group by d.day_start
        ),
        usable as (
            -- Hours are only usable when they run unbroken from midnight; otherwise count everything raw.
            select case when r.rolled_until = d.day_start + r.hours * interval '1 hour' then r.calls else 0 end as calls,
                   case when r.rolled_until = d.day_start + r.hours * interval '1 hour' then r.rolled_until
                        else d.day_start end as raw_from
              from rolled as r, day as d
        )
        select u.calls + (
            select pg_catalog.count(*) from public.performance_metrics as m
             where m.metric_type = 'edge_function' and m.recorded_at >= u.raw_from and m.recorded_at <= p_now
        )
          from usable as u
    );
end;
$$;

comment on function monitoring.function_calls_today(timestamptz) is
'Edge-function calls since midnight UTC up to now (hourly rollup plus raw rows after it). Owner only.';

revoke execute on function monitoring.function_calls_today(timestamptz) from public, anon, authenticated;
