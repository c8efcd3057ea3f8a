-- The engine before issue 17 (row by row), kept for bench/series_scale.py to measure against: sql/engine/
-- evaluate_rule.sql and apply_observation.sql as released in 20261129190500 and later, functions renamed legacy_*.
-- tests/test_bench_copies.py proves this file equals those released texts after the rename.

-- monitoring.legacy_apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
-- The alert lifecycle for one series of one rule, the only code that turns observations into alerts (notify,
-- acknowledge_alert and resolve_alert are the direct actions of an app or a person):
--   breach  -> pending until evaluations_before_firing breaches in a row, then one firing alert; further breaches
--              bump occurrences/last_seen_at/message/metadata of that same alert (firing or acknowledged);
--   clear   -> (value back past the resolve threshold) resolves the open alert;
--   between -> (past the resolve threshold but not the firing one) keeps an open alert, resets a pending count;
--   no data -> per rule.on_no_data: auto (the default: a window that has emptied, detail.window_empty, resolves as
--              Prometheus does, with "no data in the window" as the resolve's message; a source with no rows at all
--              changes nothing), keep (nothing changes), resolve (as clear) or alert (as breach).
-- Firing, repeat (still firing after the rule's repeat_interval, unless acknowledged) and resolve write their
-- notifications in the same transaction (monitoring.enqueue_notifications).
-- Callers hold the rule's advisory lock (monitoring.evaluate). Engine only.
create or replace function monitoring.legacy_apply_observation(
    p_rule monitoring.rules,
    p_labels jsonb,
    p_value numeric,
    p_detail jsonb,
    p_no_data boolean,
    p_now timestamptz
)
returns table (state text, alert_id uuid, fingerprint text)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_fingerprint text := monitoring.fingerprint(p_labels);
    v_resolve numeric := coalesce(p_rule.resolve_threshold, p_rule.threshold);
    v_verdict text;
    v_count integer;
    v_pending_since timestamptz;
    v_alert_id uuid;
    v_alert_status text;
    v_state text;
    v_title text;
    v_message text;
    v_metadata jsonb;
begin
    select s.consecutive_breaches, s.pending_since
      into v_count, v_pending_since
      from monitoring.rule_state as s
     where s.rule_key = p_rule.key and s.fingerprint = v_fingerprint
       for update;
    v_count := coalesce(v_count, 0);

    select a.id, a.status
      into v_alert_id, v_alert_status
      from public.system_alerts as a
     where a.alert_type = p_rule.key and a.fingerprint = v_fingerprint and a.resolved_at is null
       for update;

    if p_no_data then
        v_verdict := case p_rule.on_no_data
            when 'resolve' then 'clear'
            when 'alert' then 'breach'
            when 'auto' then case when (p_detail ->> 'window_empty')::boolean then 'clear' else 'no_data' end
            else 'no_data'
        end;
    elsif monitoring.breaches(p_value, p_rule.comparison, p_rule.threshold) then
        v_verdict := 'breach';
    elsif not monitoring.breaches(p_value, p_rule.comparison, v_resolve) then
        v_verdict := 'clear';
    else
        v_verdict := 'between';
    end if;

    v_title := p_rule.title || case
        when p_labels = '{}'::jsonb then ''
        else ' (' || (select pg_catalog.string_agg(l.key || '=' || l.value, ', ' order by l.key)
                        from pg_catalog.jsonb_each_text(p_labels) as l) || ')'
    end;
    v_message := coalesce(p_detail ->> 'summary', pg_catalog.format('%s = %s', p_rule.key, coalesce(p_value::text, 'no data')))
        || pg_catalog.format(' (threshold: %s %s)', p_rule.comparison, p_rule.threshold);
    v_metadata := pg_catalog.jsonb_build_object(
        'rule', p_rule.key,
        'value', p_value,
        'threshold', p_rule.threshold,
        'resolve_threshold', v_resolve,
        'comparison', p_rule.comparison,
        'window', p_rule.time_window::text,
        'labels', p_rule.labels || p_labels,
        'detail', p_detail,
        'runbook_url', p_rule.runbook_url
    );

    if v_verdict = 'breach' then
        v_count := v_count + 1;
        v_pending_since := coalesce(v_pending_since, p_now);
        if v_alert_id is not null then
            update public.system_alerts as a
               set occurrences = a.occurrences + 1,
                   last_seen_at = p_now,
                   message = v_message,
                   metadata = v_metadata
             where a.id = v_alert_id;
            v_state := v_alert_status;
            -- Still firing (not acknowledged) and nobody told for a repeat interval: tell again.
            if v_alert_status = 'firing' and not exists (
                select from monitoring.notifications as n
                 where n.alert_id = v_alert_id and n.event in ('firing', 'repeat')
                   and n.created_at > p_now - p_rule.repeat_interval
            ) then
                perform monitoring.enqueue_notifications(v_alert_id, 'repeat', p_now);
            end if;
        elsif v_count >= p_rule.evaluations_before_firing then
            insert into public.system_alerts (
                alert_type, title, message, severity, metadata, fingerprint, created_at, last_seen_at
            ) values (
                p_rule.key, v_title, v_message, p_rule.severity, v_metadata, v_fingerprint, p_now, p_now
            )
            returning id into v_alert_id;
            v_state := 'firing';
            perform monitoring.enqueue_notifications(v_alert_id, 'firing', p_now);
        else
            v_state := 'pending';
        end if;
    elsif v_verdict = 'clear' then
        v_count := 0;
        v_pending_since := null;
        if v_alert_id is not null then
            update public.system_alerts as a
               set status = 'resolved',
                   resolved_at = p_now,
                   message = case when p_no_data then 'no data in the window: ' || v_message else a.message end,
                   metadata = a.metadata || pg_catalog.jsonb_build_object('resolved_value', p_value)
             where a.id = v_alert_id;
            v_state := 'resolved';
            perform monitoring.enqueue_notifications(v_alert_id, 'resolved', p_now);
        else
            v_state := case when p_no_data then 'no_data' else 'ok' end;
        end if;
    elsif v_verdict = 'between' then
        if v_alert_id is null then
            v_count := 0;
            v_pending_since := null;
        end if;
        v_state := coalesce(v_alert_status, 'ok');
    else
        v_state := 'no_data';
    end if;

    insert into monitoring.rule_state as s (
        rule_key, fingerprint, labels, consecutive_breaches, pending_since, last_value, last_state, last_evaluated_at
    ) values (
        p_rule.key, v_fingerprint, p_labels, v_count, v_pending_since, p_value, v_state, p_now
    )
    on conflict (rule_key, fingerprint) do update
       set labels = excluded.labels,
           consecutive_breaches = excluded.consecutive_breaches,
           pending_since = excluded.pending_since,
           last_value = coalesce(excluded.last_value, s.last_value),
           last_state = excluded.last_state,
           last_evaluated_at = excluded.last_evaluated_at;

    state := v_state;
    alert_id := v_alert_id;
    fingerprint := v_fingerprint;
    return next;
end;
$$;

comment on function monitoring.legacy_apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.legacy_apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;

-- monitoring.legacy_evaluate_rule(rule, now): one row per series (rule, labels, value, threshold, state, alert_id,
-- summary). Runs the rule's metric function, applies each series to the lifecycle, treats series that vanished
-- from the metric as no data, logs the run, and resolves the rule's rule_error alert now that it works.
-- Raises whatever the metric function raises (monitoring.evaluate catches it). Engine only.
create or replace function monitoring.legacy_evaluate_rule(p_rule monitoring.rules, p_now timestamptz)
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
          from monitoring.legacy_apply_observation(
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
          from monitoring.legacy_apply_observation(
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

comment on function monitoring.legacy_evaluate_rule(monitoring.rules, timestamptz) is
'Evaluates one rule at p_now: every series through the lifecycle, the run logged. Engine only.';

revoke execute on function monitoring.legacy_evaluate_rule(monitoring.rules, timestamptz) from public, anon, authenticated;
