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
