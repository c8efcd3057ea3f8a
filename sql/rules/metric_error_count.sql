-- monitoring.metric_error_count(rule, now): the number of public.error_logs rows in the rule's window whose
-- severity is in params.severities (default high and critical, as the seed's check_error_rate_threshold counted).
-- One series; zero errors in the window is a value, but a table that has never had a row is no data (nothing
-- is logging). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_error_count(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- One generic plan per session, pruned to the window's partitions at run time; a custom plan would plan every
-- partition again on each call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    with wanted as (
        select coalesce(
            (select pg_catalog.array_agg(s.severity order by s.severity)
               from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as s (severity)),
            array['critical', 'high']
        ) as severities
    ),
    counted as (
        select pg_catalog.count(*) as errors
          from public.error_logs as e, wanted as w
         where e.occurred_at > p_now - p_rule.time_window
           and e.occurred_at <= p_now
           and e.severity = any (w.severities)
    )
    select
        c.errors::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'error_count', c.errors,
            'severities', w.severities,
            'summary', pg_catalog.format(
                '%s %s error(s) in the last %s', c.errors, pg_catalog.array_to_string(w.severities, '/'),
                monitoring.describe_interval(p_rule.time_window)
            )
        ),
        -- A row in the window (of any severity) settles it without looking at the rest of the table.
        case when exists (select from public.error_logs as x
                           where x.occurred_at > p_now - p_rule.time_window and x.occurred_at <= p_now)
            then false
            else (select pg_catalog.max(x.occurred_at) from public.error_logs as x) is null
        end
      from counted as c, wanted as w;
end;
$$;

comment on function monitoring.metric_error_count(monitoring.rules, timestamptz) is
'Metric: error_logs rows in the window with severity in params.severities (default critical, high).';

revoke execute on function monitoring.metric_error_count(monitoring.rules, timestamptz)
from public, anon, authenticated;
