-- monitoring.evaluate_rule(rule, now): one row per series (rule, labels, value, threshold, state, alert_id,
-- summary). Runs the rule's metric function once, compares all its series with the stored state in one statement,
-- and writes only the series whose state changes, all in one call (monitoring.apply_observations): a series that stays ok, stays
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
-- 60 ms, measured), and with the metric's rows estimated at 1,000 (a function's default) a merge join that sorted
-- 100,000 series where hashing the stored ones does (1.4 s against 0.45 s, measured). apply_observations and
-- run_metric set both back on for their own statements.
set enable_nestloop = off
set enable_mergejoin = off
-- Its one statement is the same for every rule: planned once per session, not once per rule (custom plans cost
-- 0.4 ms a rule, measured). run_metric and apply_observations set the default back for what they run.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
begin
    return query
    with observed as materialized (
        select coalesce(x.labels, '{}'::jsonb) as labels, x.value, coalesce(x.detail, '{}'::jsonb) as detail,
               coalesce(x.no_data, false) or x.value is null as no_data
          from monitoring.run_metric(p_rule, p_now) as x
    ),
    -- The rule's stored series with their open alert, and any open alert without a stored series (the engine
    -- writes both together, so only a hand-made row or a deleted state leaves one: its labels are null here).
    known as materialized (
        select coalesce(s.fingerprint, a.fingerprint) as fingerprint, s.labels, s.consecutive_breaches, s.last_value,
               s.last_verdict, s.written_at, s.notified_at, a.id as alert_id, a.status as alert_status
          from (select * from monitoring.rule_state as r where r.rule_key = p_rule.key) as s
          full join (select o.id, o.status, o.fingerprint
                       from public.system_alerts as o
                      where o.alert_type = p_rule.key and o.resolved_at is null) as a
            on a.fingerprint = s.fingerprint
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
    -- Every observed series with its stored state, found by the labels and confirmed by the fingerprint
    -- (monitoring.fingerprint, the md5 of the labels as printed, written out): the md5 is computed only for a
    -- series whose labels match a stored one, not for every series (75 ms at 100,000), and it decides (jsonb
    -- equality takes 1.0 and 1 as equal; the fingerprint does not).
    series as (
        select o.labels, o.value, o.detail, o.no_data,
               k.fingerprint, k.consecutive_breaches, k.last_value, k.last_verdict, k.written_at, k.notified_at,
               k.alert_id, k.alert_status,
               -- A series with no state is what it seems unless an open alert without state is its own.
               k.fingerprint is not null
               or not exists (select from known as g where g.labels is null)
               or pg_catalog.md5(o.labels::text) not in (select g.fingerprint from known as g where g.labels is null)
                   as matched
          from observed as o
          left join known as k
            on k.labels = o.labels and (k.fingerprint = pg_catalog.md5(o.labels::text)) is true
        union all
        -- A stored series the metric no longer returns, while it held something (a pending count, an open
        -- alert): no data this run.
        select k.labels, null, '{"summary": "series missing from the metric"}'::jsonb, true,
               k.fingerprint, k.consecutive_breaches, k.last_value, k.last_verdict, k.written_at, k.notified_at,
               k.alert_id, k.alert_status, true
          from known as k
         where k.labels is not null
           and (k.consecutive_breaches > 0 or k.alert_id is not null)
           and not exists (select from observed as o
                            where o.labels = k.labels and (pg_catalog.md5(o.labels::text) = k.fingerprint) is true)
    ),
    -- Every series' verdict as monitoring.apply_observations reaches it, and whether anything about it changes.
    classified as (
        select o.*,
               o.matched
               and (o.fingerprint is null or (o.last_verdict = d.verdict and o.written_at >= p_rule.updated_at))
               and case d.verdict
                   when 'breach' then o.alert_id is not null
                        and o.last_value is not distinct from o.value
                        and (o.alert_status = 'acknowledged'
                             or o.notified_at > p_now - p_rule.repeat_interval
                             or exists (select from monitoring.notifications as n
                                         where n.alert_id = o.alert_id and n.event in ('firing', 'repeat')
                                           and n.created_at > p_now - p_rule.repeat_interval))
                   when 'clear' then o.alert_id is null and coalesce(o.consecutive_breaches, 0) = 0
                   when 'between' then o.alert_id is not null or coalesce(o.consecutive_breaches, 0) = 0
                   else o.alert_id is null or o.fingerprint is not null
               end as unchanged,
               case d.verdict
                   when 'breach' then o.alert_status
                   when 'clear' then case when o.no_data then 'no_data' else 'ok' end
                   when 'between' then coalesce(o.alert_status, 'ok')
                   else 'no_data'
               end as kept_state
          from series as o
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
        -- Computed once per series: its columns are read three times below.
        offset 0
    ),
    -- Every series that changes goes through the lifecycle together, in one call that writes them all (none: an
    -- empty call, no write).
    applied as materialized (
        select x.fingerprint, x.state, x.alert_id
          from (select pg_catalog.array_agg(c.labels) as labels, pg_catalog.array_agg(c.value) as vals,
                       pg_catalog.array_agg(c.detail) as details, pg_catalog.array_agg(c.no_data) as no_data
                  from classified as c
                 where not c.unchanged) as g
         cross join lateral monitoring.apply_observations(p_rule, g.labels, g.vals, g.details, g.no_data, p_now) as x
    )
    select p_rule.key, c.labels, c.value, p_rule.threshold,
           case when c.unchanged then c.kept_state else x.state end,
           case when c.unchanged then c.alert_id else x.alert_id end,
           coalesce(c.detail ->> 'summary', case when c.value is null then 'no data' end)
      from classified as c
      -- The fingerprint (monitoring.fingerprint, written out) only for a series that changed.
      left join applied as x on x.fingerprint = case when not c.unchanged then pg_catalog.md5(c.labels::text) end;

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
