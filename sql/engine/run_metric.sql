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
as $$
#variable_conflict use_column
declare
    -- Typed variables: a record from EXECUTE is opaque to plpgsql_check (and RETURN QUERY EXECUTE is reported).
    v_value numeric;
    v_labels jsonb;
    v_detail jsonb;
    v_no_data boolean;
begin
    for v_value, v_labels, v_detail, v_no_data in execute pg_catalog.format(
        'select m.value, m.labels, m.detail, m.no_data from monitoring.%I($1, $2) as m', p_rule.metric_function
    ) using p_rule, p_now
    loop
        value := v_value;
        labels := v_labels;
        detail := v_detail;
        no_data := v_no_data;
        return next;
    end loop;
end;
$$;

comment on function monitoring.run_metric(monitoring.rules, timestamptz) is
'The rows of a rule''s metric function, called by name. Engine only.';

revoke execute on function monitoring.run_metric(monitoring.rules, timestamptz) from public, anon, authenticated;
