-- monitoring.evaluate_rule(rule, now): one row per series (rule, labels, value, threshold, state, alert_id,
-- summary). Runs the rule's metric function, applies each series to the lifecycle, treats series that vanished
-- from the metric as no data, logs the run, and resolves the rule's rule_error alert now that it works.
-- Raises whatever the metric function raises (monitoring.evaluate catches it). Engine only.
create or replace function monitoring.evaluate_rule(p_rule monitoring.rules, p_now timestamptz)
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_seen text[] := '{}'::text[];
    v_series integer := 0;
    v_with_data integer := 0;
    v_max numeric;
    -- One row of the metric function, in typed variables (a record from EXECUTE is opaque to plpgsql_check).
    v_value numeric;
    v_labels jsonb;
    v_detail jsonb;
    v_no_data boolean;
    v_missing record;
    v_outcome record;
begin
    for v_value, v_labels, v_detail, v_no_data in execute pg_catalog.format(
        'select m.value, m.labels, m.detail, m.no_data from monitoring.%I($1, $2) as m', p_rule.metric_function
    ) using p_rule, p_now
    loop
        select o.state, o.alert_id, o.fingerprint
          into v_outcome
          from monitoring.apply_observation(
              p_rule,
              coalesce(v_labels, '{}'::jsonb),
              v_value,
              coalesce(v_detail, '{}'::jsonb),
              coalesce(v_no_data, false) or v_value is null,
              p_now
          ) as o;
        v_seen := v_seen || v_outcome.fingerprint;
        v_series := v_series + 1;
        if v_value is not null and not coalesce(v_no_data, false) then
            v_with_data := v_with_data + 1;
            v_max := greatest(v_max, v_value);
        end if;
        rule := p_rule.key;
        labels := coalesce(v_labels, '{}'::jsonb);
        value := v_value;
        threshold := p_rule.threshold;
        state := v_outcome.state;
        alert_id := v_outcome.alert_id;
        summary := coalesce(v_detail ->> 'summary', case when v_value is null then 'no data' end);
        return next;
    end loop;

    -- A series with an open alert or a pending count that the metric no longer returns has no data this run.
    for v_missing in
        select s.labels
          from monitoring.rule_state as s
         where s.rule_key = p_rule.key
           and not (s.fingerprint = any (v_seen))
           and (s.consecutive_breaches > 0
                or exists (select from public.system_alerts as a
                            where a.alert_type = p_rule.key and a.fingerprint = s.fingerprint
                              and a.resolved_at is null))
    loop
        select o.state, o.alert_id
          into v_outcome
          from monitoring.apply_observation(
              p_rule, v_missing.labels, null, '{"summary": "series missing from the metric"}'::jsonb, true, p_now
          ) as o;
        rule := p_rule.key;
        labels := v_missing.labels;
        value := null;
        threshold := p_rule.threshold;
        state := v_outcome.state;
        alert_id := v_outcome.alert_id;
        summary := 'series missing from the metric';
        return next;
    end loop;

    insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, series, value, duration_ms)
    values (
        p_rule.key, p_now, case when v_with_data = 0 then 'no_data' else 'ok' end, v_series, v_max,
        extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000
    );

    -- The rule works: its rule_error alert, if any, is resolved (under this rule's lock, as it was raised).
    perform monitoring.observe_engine_rule(
        'rule_error', pg_catalog.jsonb_build_object('rule', p_rule.key), false,
        '{"summary": "the rule evaluates again"}'::jsonb, p_now, p_lock => false
    );
end;
$$;

comment on function monitoring.evaluate_rule(monitoring.rules, timestamptz) is
'Evaluates one rule at p_now: every series through the lifecycle, the run logged. Engine only.';

revoke execute on function monitoring.evaluate_rule(monitoring.rules, timestamptz) from public, anon, authenticated;
