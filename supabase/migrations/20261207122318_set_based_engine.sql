-- 20261207122318_set_based_engine: written by `python deploy.py new-migration set_based_engine`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- The set-based engine (issue 17): monitoring.evaluate_rule writes only the series whose state changes.
-- rule_state.last_verdict is the verdict it was last written with, written_at when (the clock, to compare with
-- monitoring.rules.updated_at): a series is skipped only while its verdict (and, when firing, its value) stays the
-- same and its rule was not changed since. notified_at: its alert's last firing or repeat (told or not: a repeat
-- no route takes is not due again at every evaluation).
alter table monitoring.rule_state
add column if not exists last_verdict text,
add column if not exists written_at timestamptz,
add column if not exists notified_at timestamptz;
comment on column monitoring.rule_state.last_evaluated_at is
'The evaluation (p_now) that last wrote this row; later runs that skipped the series are in monitoring.rule_runs.';
comment on column monitoring.rule_runs.value is
'The worst value of the run: the highest for a rule that fires above its threshold, the lowest for one below.';

-- One series of one evaluation, as monitoring.evaluate_rule carries all of them between its statements.
create type monitoring.series as (
    fingerprint text,
    labels jsonb,
    value numeric,
    detail jsonb,
    no_data boolean,
    verdict text,
    unchanged boolean,
    state text,
    alert_id uuid
);

-- The outbox's per-alert lookups, found by bench/series_scale.py at 10,000 alerts of one rule (one group): each
-- new grouped row looked for its group's slot among every pending row of the group (min and max over all of
-- them), and each resolve looked for the alerts it inhibited with no index at all; both grew with the outbox.
-- Not concurrently: a migration is one transaction, and the outbox is a queue that the retention keeps short.
-- squawk-ignore require-concurrent-index-creation
create index if not exists notifications_group_pending
on monitoring.notifications (group_key, channel, event, next_attempt_at)
where status = 'pending' and alert_id is not null and group_id is null and attempts = 0 and grouped_at is null;
-- squawk-ignore require-concurrent-index-creation
create index if not exists notifications_group_grouped
on monitoring.notifications (group_key, channel, event, grouped_at)
where grouped_at is not null;
-- squawk-ignore require-concurrent-index-creation
create index if not exists notifications_inhibited_by
on monitoring.notifications (inhibited_by)
where inhibited_by is not null;

-- supalert:source sql/engine/apply_observation.sql sha256=9a0492772a03959a6203a3f56aec54d9e3283866f29d7113844aefba99e53b3e
-- monitoring.apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
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
-- monitoring.evaluate_rule calls it only for a series whose state changes: a series that stays firing with the same
-- value is not written, so the evaluations it skipped since rule_state was last written (monitoring.rule_runs of the
-- rule) are counted here, into the pending count and the open alert's occurrences and last_seen_at.
-- Callers hold the rule's advisory lock (monitoring.evaluate). Engine only.
create or replace function monitoring.apply_observation(
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
-- Point lookups, planned as usual (monitoring.evaluate_rule, its caller, turns nested loops and custom plans off
-- for its own statement).
set enable_nestloop = on
set plan_cache_mode = auto
as $$
#variable_conflict use_column
declare
    v_fingerprint text := monitoring.fingerprint(p_labels);
    v_resolve numeric := coalesce(p_rule.resolve_threshold, p_rule.threshold);
    v_verdict text;
    v_count integer;
    v_pending_since timestamptz;
    v_notified timestamptz;
    v_skipped integer;
    v_skipped_last timestamptz;
    v_alert_id uuid;
    v_alert_status text;
    v_state text;
    v_title text;
    v_message text;
    v_metadata jsonb;
begin
    select s.consecutive_breaches, s.pending_since, s.notified_at
      into v_count, v_pending_since, v_notified
      from monitoring.rule_state as s
     where s.rule_key = p_rule.key and s.fingerprint = v_fingerprint
       for update;
    v_count := coalesce(v_count, 0);

    select a.id, a.status
      into v_alert_id, v_alert_status
      from public.system_alerts as a
     where a.alert_type = p_rule.key and a.fingerprint = v_fingerprint and a.resolved_at is null
       for update;

    -- Breaches evaluate_rule skipped while the alert stayed open with the same value: one occurrence each.
    if v_alert_id is not null then
        select k.breaches, k.last_at
          into v_skipped, v_skipped_last
          from monitoring.skipped_breaches(p_rule.key, v_fingerprint, p_now) as k;
        if v_skipped > 0 then
            v_count := v_count + v_skipped;
            update public.system_alerts as a
               set occurrences = a.occurrences + v_skipped,
                   last_seen_at = greatest(a.last_seen_at, v_skipped_last)
             where a.id = v_alert_id;
        end if;
    end if;

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
            -- Still firing (not acknowledged) and nobody told for a repeat interval: tell again. notified_at
            -- keeps the attempt when no route took it, so that the series is not due again at every evaluation.
            if v_alert_status = 'firing'
               and (v_notified is null or v_notified <= p_now - p_rule.repeat_interval)
               and not exists (
                   select from monitoring.notifications as n
                    where n.alert_id = v_alert_id and n.event in ('firing', 'repeat')
                      and n.created_at > p_now - p_rule.repeat_interval
               ) then
                perform monitoring.enqueue_notifications(v_alert_id, 'repeat', p_now);
                v_notified := p_now;
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
            v_notified := p_now;
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
        rule_key, fingerprint, labels, consecutive_breaches, pending_since, last_value, last_state, last_evaluated_at,
        last_verdict, written_at, notified_at
    ) values (
        p_rule.key, v_fingerprint, p_labels, v_count, v_pending_since, p_value, v_state, p_now,
        v_verdict, pg_catalog.clock_timestamp(), v_notified
    )
    on conflict (rule_key, fingerprint) do update
       set labels = excluded.labels,
           consecutive_breaches = excluded.consecutive_breaches,
           pending_since = excluded.pending_since,
           last_value = excluded.last_value,  -- as observed: evaluate_rule compares the next value with it
           last_state = excluded.last_state,
           last_evaluated_at = excluded.last_evaluated_at,
           last_verdict = excluded.last_verdict,
           written_at = excluded.written_at,
           notified_at = excluded.notified_at;

    state := v_state;
    alert_id := v_alert_id;
    fingerprint := v_fingerprint;
    return next;
end;
$$;

comment on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/engine/apply_observation.sql

-- supalert:source sql/engine/evaluate_rule.sql sha256=80709b673b695b5aac833ab6cbc43459eaad6ceb7446bee2d088f34d445a87b4
-- monitoring.evaluate_rule(rule, now): one row per series (rule, labels, value, threshold, state, alert_id,
-- summary). Runs the rule's metric function once, compares all its series with the stored state in one statement,
-- and writes only the series whose state changes (monitoring.apply_observation): a series that stays ok, stays
-- firing with the same value (no repeat due), stays between the thresholds or stays without data costs no row
-- write, so the cost of a steady rule follows its series count in reads only. Series that vanished from the metric
-- while they held something (a pending count, an open alert) are no data. Logs the run and resolves the rule's
-- rule_error alert now that it works. Raises whatever the metric function raises (monitoring.evaluate catches
-- it). Engine only.
create or replace function monitoring.evaluate_rule(p_rule monitoring.rules, p_now timestamptz)
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
set search_path = ''
-- One statement over every series: its cost estimate passes jit_above_cost at a few thousand series, and compiling
-- it costs more than running it (600 ms at 100,000 series, measured). monitoring.evaluate sets the same.
set jit = off
-- Hash joins, whatever the statistics say: with a rule's open alerts estimated at one row (statistics from before
-- they opened) the planner picked a nested loop over every series and every alert (10,000 x 1,000: 1 s instead of
-- 60 ms, measured). The lateral call of apply_observation has no other plan and keeps its nested loop;
-- apply_observation sets enable_nestloop back on for its own statements.
set enable_nestloop = off
-- Its one statement is the same for every rule: planned once per session, not once per rule (custom plans cost
-- 0.4 ms a rule, measured). run_metric and apply_observation set the default back for what they run.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
begin
    return query
    with observed as materialized (
        -- The fingerprint is monitoring.fingerprint's md5 of the labels, written out: a function call per series
        -- would cost more than the rest of a steady evaluation (tests/test_engine.py proves the two equal).
        select pg_catalog.md5(m.labels::text) as fingerprint, m.labels, m.value, m.detail, m.no_data
          from (select coalesce(x.labels, '{}'::jsonb) as labels, x.value, coalesce(x.detail, '{}'::jsonb) as detail,
                       coalesce(x.no_data, false) or x.value is null as no_data
                  from monitoring.run_metric(p_rule, p_now) as x) as m
    ),
    series as (
        select * from observed
        union all
        -- A series with a pending count or an open alert that the metric no longer returns has no data this run.
        select s.fingerprint, s.labels, null, '{"summary": "series missing from the metric"}'::jsonb, true
          from monitoring.rule_state as s
         where s.rule_key = p_rule.key
           and (s.consecutive_breaches > 0
                or exists (select from public.system_alerts as a
                            where a.alert_type = p_rule.key and a.fingerprint = s.fingerprint
                              and a.resolved_at is null))
           and s.fingerprint not in (select f.fingerprint from observed as f)
    ),
    -- The run's log row. Not read below, so Postgres writes it after the main query, its duration included.
    run as (
        insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, series, value, duration_ms)
        select p_rule.key, p_now, case when count(*) filter (where not o.no_data) = 0 then 'no_data' else 'ok' end,
               count(*),
               -- the worst value: the highest for a rule that fires above its threshold, the lowest below
               case when p_rule.comparison in ('>', '>=') then max(o.value) filter (where not o.no_data)
                    else min(o.value) filter (where not o.no_data) end,
               extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000
          from observed as o
    ),
    -- Every series' verdict as monitoring.apply_observation reaches it, and whether anything about it changes.
    classified as (
        select o.*,
               (s.fingerprint is null or (s.last_verdict = d.verdict and s.written_at >= p_rule.updated_at))
               and case d.verdict
                   when 'breach' then a.id is not null and s.fingerprint is not null
                        and s.last_value is not distinct from o.value
                        and (a.status = 'acknowledged'
                             or s.notified_at > p_now - p_rule.repeat_interval
                             or exists (select from monitoring.notifications as n
                                         where n.alert_id = a.id and n.event in ('firing', 'repeat')
                                           and n.created_at > p_now - p_rule.repeat_interval))
                   when 'clear' then a.id is null and coalesce(s.consecutive_breaches, 0) = 0
                   when 'between' then a.id is not null or coalesce(s.consecutive_breaches, 0) = 0
                   else a.id is null or s.fingerprint is not null
               end as unchanged,
               case d.verdict
                   when 'breach' then a.status
                   when 'clear' then case when o.no_data then 'no_data' else 'ok' end
                   when 'between' then coalesce(a.status, 'ok')
                   else 'no_data'
               end as state,
               a.id as alert_id
          from series as o
          left join monitoring.rule_state as s on s.rule_key = p_rule.key and s.fingerprint = o.fingerprint
          left join public.system_alerts as a
            on a.alert_type = p_rule.key and a.fingerprint = o.fingerprint and a.resolved_at is null
         cross join lateral (
             select case
                 when o.no_data then case p_rule.on_no_data
                     when 'resolve' then 'clear'
                     when 'alert' then 'breach'
                     when 'auto' then case when (o.detail ->> 'window_empty')::boolean then 'clear' else 'no_data' end
                     else 'no_data'
                 end
                 when case p_rule.comparison
                     when '>' then o.value > p_rule.threshold
                     when '>=' then o.value >= p_rule.threshold
                     when '<' then o.value < p_rule.threshold
                     when '<=' then o.value <= p_rule.threshold
                 end then 'breach'
                 when not case p_rule.comparison
                     when '>' then o.value > coalesce(p_rule.resolve_threshold, p_rule.threshold)
                     when '>=' then o.value >= coalesce(p_rule.resolve_threshold, p_rule.threshold)
                     when '<' then o.value < coalesce(p_rule.resolve_threshold, p_rule.threshold)
                     when '<=' then o.value <= coalesce(p_rule.resolve_threshold, p_rule.threshold)
                 end then 'clear'
                 else 'between'
             end as verdict
         ) as d
    )
    select p_rule.key, c.labels, c.value, p_rule.threshold, c.state, c.alert_id,
           coalesce(c.detail ->> 'summary', case when c.value is null then 'no data' end)
      from classified as c
     where c.unchanged
    union all
    -- Only a series that changes goes through the lifecycle, and writes.
    select p_rule.key, c.labels, c.value, p_rule.threshold, x.state, x.alert_id,
           coalesce(c.detail ->> 'summary', case when c.value is null then 'no data' end)
      from classified as c
     cross join lateral monitoring.apply_observation(p_rule, c.labels, c.value, c.detail, c.no_data, p_now) as x
     where not c.unchanged;

    -- The rule works: its rule_error alert, if any, is resolved (under this rule's lock, as it was raised).
    perform monitoring.observe_engine_rule(
        'rule_error', pg_catalog.jsonb_build_object('rule', p_rule.key), false,
        '{"summary": "the rule evaluates again"}'::jsonb, p_now, p_lock => false
    );
end;
$$;

comment on function monitoring.evaluate_rule(monitoring.rules, timestamptz) is
'Evaluates one rule at p_now: all series compared at once, only the changed written, the run logged. Engine only.';

revoke execute on function monitoring.evaluate_rule(monitoring.rules, timestamptz) from public, anon, authenticated;
-- supalert:end sql/engine/evaluate_rule.sql

-- supalert:source sql/engine/rules_check_metric_function.sql sha256=77258f281ad3b6adcef8f4b74d0c8e93a59e8e6caba23e5773af8bc112a6f584
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
-- supalert:end sql/engine/rules_check_metric_function.sql

-- supalert:source sql/engine/run_metric.sql sha256=e0e5a5c70952f0f9702dc99ccf90fd1cfef4699f810bfcb9b99fc00aeb3541b9
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
-- supalert:end sql/engine/run_metric.sql

-- supalert:source sql/engine/skipped_breaches.sql sha256=bf3b17a336cf3239fce4edbed464d79a5b8fc6c04f171646267583af44e677d4
-- monitoring.skipped_breaches(rule key, fingerprint, before): returns (breaches, last_at): the evaluations of the
-- rule before `before` since the series' rule_state row was last written, when it was written breaching. Those are
-- the runs monitoring.evaluate_rule skipped the series in (a series that stays firing with the same value is
-- written only when a repeat is due), so they are occurrences an open alert's row does not count yet:
-- monitoring.apply_observation adds them at the series' next write, and the CLI and the dashboard add them to an
-- open alert they show. 0 and null when there are none. Owner only.
create or replace function monitoring.skipped_breaches(
    p_rule text, p_fingerprint text, p_before timestamptz default 'infinity'
)
returns table (breaches integer, last_at timestamptz)
language sql
stable
set search_path = ''
as $$
    select count(rr.id)::integer, max(rr.evaluated_at)
      from monitoring.rule_state as s
      join monitoring.rule_runs as rr
        on rr.rule_key = s.rule_key and rr.outcome <> 'error'
       and rr.evaluated_at > s.last_evaluated_at and rr.evaluated_at < p_before
     where s.rule_key = p_rule and s.fingerprint = p_fingerprint and s.last_verdict = 'breach'
$$;

comment on function monitoring.skipped_breaches(text, text, timestamptz) is
'Breaching evaluations of a series since its state was last written (skipped, so not yet in its alert). Owner only.';

revoke execute on function monitoring.skipped_breaches(text, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/engine/skipped_breaches.sql

-- supalert:source sql/actions/resolve_alert.sql sha256=78f6f18497bb5a41f515004a24a1fd6bceebd574f1783366b45b480c0a27695d
-- monitoring.resolve_alert(alert id, by default the caller): returns the resolved public.system_alerts row.
-- For an incident a person knows is over before the rule sees it; if the condition still holds, the next
-- evaluation opens a new alert. Raises for an unknown or already resolved alert. Admins only (CLI `resolve`).
create or replace function monitoring.resolve_alert(p_alert_id uuid, p_by text default null)
returns setof public.system_alerts
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_alert public.system_alerts;
begin
    perform monitoring.require_admin();
    -- The rule's lock first, as monitoring.evaluate takes it, so a resolve and an evaluation never deadlock.
    perform monitoring.lock_rule((select a.alert_type from public.system_alerts as a where a.id = p_alert_id));
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id for update;
    if not found then
        raise exception 'alert % not found', p_alert_id
            using errcode = 'no_data_found', hint = 'List open alerts with: python deploy.py alerts';
    end if;
    if v_alert.status = 'resolved' then
        raise exception 'alert % is already resolved (at %)', p_alert_id, v_alert.resolved_at
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    update public.system_alerts as a
       set status = 'resolved',
           resolved_at = pg_catalog.now(),
           metadata = a.metadata || pg_catalog.jsonb_build_object(
               'resolved_by', coalesce(nullif(p_by, ''), auth.email(), auth.uid()::text, session_user::text))
     where a.id = p_alert_id
    returning a.* into v_alert;
    perform monitoring.enqueue_notifications(v_alert.id, 'resolved', pg_catalog.now());
    -- Start the series afresh: if the condition persists, the rule must breach again to re-open.
    update monitoring.rule_state as s
       set consecutive_breaches = 0, pending_since = null, last_state = 'resolved', last_verdict = null
     where s.rule_key = v_alert.alert_type and s.fingerprint = v_alert.fingerprint;
    return next v_alert;
end;
$$;

comment on function monitoring.resolve_alert(uuid, text) is
'Resolves an open alert by hand; the rule re-opens one if the condition persists. Admins only.';

revoke execute on function monitoring.resolve_alert(uuid, text) from public, anon;
grant execute on function monitoring.resolve_alert(uuid, text) to authenticated, service_role;
-- supalert:end sql/actions/resolve_alert.sql

-- supalert:source sql/api/alert_seen.sql sha256=1cec5ae29735ad48d650c4be0ceedc48c588cb87cd42015533b585dfb8599a5f
-- monitoring.alert_seen(alert id): returns (occurrences, last_seen_at) of the alert as of now: its row's counts
-- plus, while it is open, the evaluations that found it breaching since its row was last written
-- (monitoring.skipped_breaches; the engine writes a steady firing series only when its value changes or a repeat
-- is due). The CLI's `alerts` and the dashboard show these. No row for an unknown alert. Admins only.
create or replace function monitoring.alert_seen(p_alert_id uuid)
returns table (occurrences integer, last_seen_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform monitoring.require_admin();
    return query
    select a.occurrences + coalesce(k.breaches, 0), greatest(a.last_seen_at, k.last_at)
      from public.system_alerts as a
      left join lateral monitoring.skipped_breaches(a.alert_type, a.fingerprint) as k on a.resolved_at is null
     where a.id = p_alert_id;
end;
$$;

comment on function monitoring.alert_seen(uuid) is
'An alert''s occurrences and last_seen_at as of now, counting evaluations not yet written to it. Admins only.';

revoke execute on function monitoring.alert_seen(uuid) from public, anon;
grant execute on function monitoring.alert_seen(uuid) to authenticated, service_role;
-- supalert:end sql/api/alert_seen.sql
