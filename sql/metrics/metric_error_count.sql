-- monitoring.metric_error_count(rule, now): the number of public.error_logs rows in the rule's window whose
-- severity word means one of params.severities (default high and critical, as the seed's check_error_rate_threshold
-- counted), by monitoring.severity_aliases: 'error' and 'CRITICAL' count, 'medium' and 'low' do not.
-- One series; zero errors in the window is a value, but a table that has never had a row is no data (nothing
-- is logging). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_error_count(p_rule monitoring.rules, p_now timestamptz)
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
    v_severities text[] := coalesce(
        (select pg_catalog.array_agg(s.severity order by s.severity)
           from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as s (severity)),
        array['critical', 'high']
    );
    -- The app's own words for those severities (medium, ERROR, ...): monitoring.severity_aliases.
    v_words text[] := monitoring.severity_words(v_severities);
    v_errors bigint;
    v_no_data boolean := false;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and pg_catalog.lower(pg_catalog.btrim(e.severity::text)) = any (v_words);
    -- A row in the window (of any severity) settles it; only an empty window plans a look at the whole table.
    if v_errors = 0 and not exists (select from public.error_logs as x
                                     where x.occurred_at > v_from and x.occurred_at <= p_now) then
        v_no_data := not exists (select from public.error_logs as x);
    end if;
    return query select
        v_errors::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'error_count', v_errors,
            'severities', v_severities,
            'summary', pg_catalog.format(
                '%s %s error(s) in the last %s', v_errors, pg_catalog.array_to_string(v_severities, '/'),
                monitoring.describe_interval(p_rule.time_window)
            )
        ),
        v_no_data;
end;
$$;

comment on function monitoring.metric_error_count(monitoring.rules, timestamptz) is
'Metric: error_logs rows in the window whose severity means one of params.severities (default critical, high).';

revoke execute on function monitoring.metric_error_count(monitoring.rules, timestamptz)
from public, anon, authenticated;
