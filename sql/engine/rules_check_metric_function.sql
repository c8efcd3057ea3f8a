-- monitoring.rules_check_metric_function(): trigger on monitoring.rules; returns the row. Rejects a metric_function
-- that is not a function monitoring.<name>(monitoring.rules, timestamptz) returning the uniform metric columns,
-- naming the column and what is wrong, and keeps updated_at current. Trigger only.
create or replace function monitoring.rules_check_metric_function()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_function regprocedure;
    v_result text;
begin
    -- The clock, not the transaction's start: evaluate_rule compares it with rule_state.written_at.
    new.updated_at := pg_catalog.clock_timestamp();
    if new.metric_function is null then
        return new;
    end if;
    v_function := pg_catalog.to_regprocedure(
        pg_catalog.format('monitoring.%I(monitoring.rules, timestamptz)', new.metric_function));
    if v_function is null then
        raise exception 'invalid metric_function % for rule %: there is no function monitoring.%(monitoring.rules, timestamptz)',
            pg_catalog.quote_literal(new.metric_function), new.key, new.metric_function
            using errcode = 'check_violation', column = 'metric_function', table = 'rules', schema = 'monitoring',
                  hint = 'Create it from a file in sql/metrics/, or name an existing metric function.';
    end if;
    v_result := pg_catalog.pg_get_function_result(v_function);
    if v_result <> 'TABLE(value numeric, labels jsonb, detail jsonb, no_data boolean)' then
        raise exception 'invalid metric_function % for rule %: it returns %, not the metric columns',
            pg_catalog.quote_literal(new.metric_function), new.key, v_result
            using errcode = 'check_violation', column = 'metric_function', table = 'rules', schema = 'monitoring',
                  hint = 'Metric functions return table (value numeric, labels jsonb, detail jsonb, no_data boolean).';
    end if;
    return new;
end;
$$;

comment on function monitoring.rules_check_metric_function() is
'Trigger: metric_function must name a monitoring function with the uniform metric interface.';

revoke execute on function monitoring.rules_check_metric_function() from public, anon, authenticated;
