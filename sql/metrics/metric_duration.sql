-- monitoring.metric_duration(rule, now): the average (params.aggregate = 'avg', the seed's choice) or 95th
-- percentile ('p95') of public.performance_metrics.duration_ms over the window, for rows whose metric_type is
-- params.metric_type (default 'edge_function'). No rows in the window is no data (detail.window_empty when that
-- metric_type has rows before it: an open alert resolves). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_duration(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
declare
    v_metric_type text := coalesce(p_rule.params ->> 'metric_type', 'edge_function');
    v_aggregate text := coalesce(p_rule.params ->> 'aggregate', 'avg');
    v_from timestamptz := p_now - p_rule.time_window;
    v_samples bigint;
    v_avg numeric;
    v_p95 numeric;
    v_value numeric;
begin
    if v_aggregate not in ('avg', 'p95') then
        raise exception 'rule %: params.aggregate must be avg or p95, not %', p_rule.key, pg_catalog.quote_literal(v_aggregate)
            using errcode = 'invalid_parameter_value';
    end if;
    select pg_catalog.count(*),
           pg_catalog.avg(m.duration_ms),
           (pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric
      into v_samples, v_avg, v_p95
      from public.performance_metrics as m
     where m.metric_type = v_metric_type
       and m.recorded_at > v_from
       and m.recorded_at <= p_now;
    v_value := case v_aggregate when 'p95' then v_p95 else v_avg end;
    return query select
        pg_catalog.round(v_value, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'samples', v_samples,
            'avg_ms', pg_catalog.round(v_avg, 1),
            'p95_ms', pg_catalog.round(v_p95, 1),
            'metric_type', v_metric_type,
            'window_empty', v_samples = 0 and exists (
                select from public.performance_metrics as x where x.metric_type = v_metric_type and x.recorded_at <= p_now
            ),
            'summary', case when v_samples = 0
                then pg_catalog.format(
                    'no %s timings in the last %s', v_metric_type, monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s %s duration %s ms over %s sample(s) in the last %s',
                    v_aggregate, v_metric_type, pg_catalog.round(v_value), v_samples,
                    monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_samples = 0;
end;
$$;

comment on function monitoring.metric_duration(monitoring.rules, timestamptz) is
'Metric: avg or p95 of performance_metrics.duration_ms for params.metric_type in the window; no rows is no data.';

revoke execute on function monitoring.metric_duration(monitoring.rules, timestamptz) from public, anon, authenticated;
