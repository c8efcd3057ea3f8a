-- monitoring.run_metric(rule, now): returns the rows of the rule's metric function (value, labels, detail,
-- no_data), so that the engine's one statement can read any metric by name (the name is data: format %I). Engine
-- only.
create or replace function monitoring.run_metric(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
set search_path = ''
-- The metric is planned as it would be on its own, not as its caller (monitoring.evaluate_rule) plans its statement.
set plan_cache_mode = auto
set enable_nestloop = on
set enable_mergejoin = on
as $$
-- One RETURN QUERY EXECUTE, not a loop over the rows (65 ms of 260 at 100,000 series, measured). plpgsql_check
-- cannot see the columns of dynamic SQL and warns that the OUT columns may be unset; the format below names them all.
-- @plpgsql_check_options: extra_warnings = off
begin
    return query execute pg_catalog.format(
        'select m.value, m.labels, m.detail, m.no_data from monitoring.%I($1, $2) as m', p_rule.metric_function
    ) using p_rule, p_now;
end;
$$;

comment on function monitoring.run_metric(monitoring.rules, timestamptz) is
'The rows of a rule''s metric function, called by name. Engine only.';

revoke execute on function monitoring.run_metric(monitoring.rules, timestamptz) from public, anon, authenticated;
