-- monitoring.rollup_function_calls(now): returns how many hours it rolled up. Counts the edge_function rows of
-- public.performance_metrics for every closed UTC hour of p_now's day not yet in monitoring.function_call_hours. An
-- hour is closed 10 minutes after it ends: rows written later than that with an older recorded_at are not counted.
-- Each hour is counted once (about a day's rows over a day), so the daily quota rule reads at most 70 minutes of
-- raw rows instead of the whole day. Owner only (monitoring.evaluate runs it before the rules).
create or replace function monitoring.rollup_function_calls(p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_day_start timestamptz := pg_catalog.date_trunc('day', p_now, 'UTC');
    -- The last hour that ended at least 10 minutes ago.
    v_last_closed timestamptz :=
        pg_catalog.date_trunc('hour', p_now - interval '10 minutes', 'UTC') - interval '1 hour';
    v_rolled integer;
begin
    -- Every run rolls up all the day's missing hours, so the last closed one being there means nothing is missing.
    if v_last_closed < v_day_start
       or exists (select from monitoring.function_call_hours as f where f.hour_start = v_last_closed) then
        return 0;
    end if;
    insert into monitoring.function_call_hours (hour_start, calls, rolled_at)
    select h.hour_start,
           (select pg_catalog.count(*) from public.performance_metrics as m
             where m.metric_type = 'edge_function'
               and m.recorded_at >= h.hour_start and m.recorded_at < h.hour_start + interval '1 hour'),
           p_now
      from pg_catalog.generate_series(v_day_start, v_last_closed, interval '1 hour') as h (hour_start)
     where not exists (select from monitoring.function_call_hours as f where f.hour_start = h.hour_start)
    on conflict (hour_start) do nothing;
    get diagnostics v_rolled = row_count;
    return v_rolled;
end;
$$;

comment on function monitoring.rollup_function_calls(timestamptz) is
'Rolls up edge_function calls per closed UTC hour of the day into monitoring.function_call_hours. Owner only.';

revoke execute on function monitoring.rollup_function_calls(timestamptz) from public, anon, authenticated;
