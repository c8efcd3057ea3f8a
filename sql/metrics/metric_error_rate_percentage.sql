-- monitoring.metric_error_rate_percentage(rule, now): errors per 100 requests in the window. Errors: public.error_logs
-- rows in the window (all severities, or those whose word means one of params.severities, by
-- monitoring.severity_aliases). Requests: public.performance_metrics rows with metric_type 'edge_function' in the
-- window, since every edge function logs one timing per call (the seed's "Edge Function Performance" snippet).
-- No requests in the window is no data (detail.window_empty when there were requests before it: an open alert
-- resolves). Metric interface; evaluate only.
create or replace function monitoring.metric_error_rate_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_severities text[] := (select pg_catalog.array_agg(x.severity)
                              from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as x (severity));
    -- The app's own words for those severities (medium, ERROR, ...): monitoring.severity_aliases.
    v_words text[] := case when v_severities is not null then monitoring.severity_words(v_severities) end;
    v_errors bigint;
    v_requests bigint;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and (v_words is null or pg_catalog.lower(pg_catalog.btrim(e.severity::text)) = any (v_words));
    select pg_catalog.count(*)
      into v_requests
      from public.performance_metrics as m
     where m.metric_type = 'edge_function'
       and m.recorded_at > v_from and m.recorded_at <= p_now;
    return query select
        case when v_requests > 0 then pg_catalog.round(v_errors * 100.0 / v_requests, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'errors', v_errors,
            'requests', v_requests,
            'window_empty', v_requests = 0 and exists (
                select from public.performance_metrics as x where x.metric_type = 'edge_function' and x.recorded_at <= p_now
            ),
            'summary', case when v_requests = 0
                then pg_catalog.format('no requests in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s error(s) in %s request(s) (%s%%) in the last %s', v_errors, v_requests,
                    pg_catalog.round(v_errors * 100.0 / v_requests, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_requests = 0;
end;
$$;

comment on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz) is
'Metric: error_logs rows per 100 edge_function requests (performance_metrics) in the window; no requests, no data.';

revoke execute on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
