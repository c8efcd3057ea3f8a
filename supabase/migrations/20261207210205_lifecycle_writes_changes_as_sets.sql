-- 20261207210205_lifecycle_writes_changes_as_sets: written by `python deploy.py new-migration lifecycle_writes_changes_as_sets`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- supalert:source sql/engine/apply_observation.sql sha256=5bdbfd8a4bfac58b9568df5e5d91eabf4d0737c3c05115985eb7916b5f4a4a1f
-- monitoring.apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
-- The alert lifecycle for one series of one rule: monitoring.apply_observations for one series (pending, firing,
-- repeat, resolve and no data are decided there). Callers hold the rule's advisory lock. Engine only
-- (observe_engine_rule).
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
as $$
#variable_conflict use_column
begin
    return query
    select o.state, o.alert_id, o.fingerprint
      from monitoring.apply_observations(
          p_rule, array[p_labels], array[p_value], array[p_detail], array[p_no_data], p_now
      ) as o;
end;
$$;

comment on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/engine/apply_observation.sql

-- supalert:source sql/engine/apply_observations.sql sha256=8d656e0b66b9d1551466884e74f9b0922c123d44362c06663fff8f71b9584c1c
-- monitoring.apply_observations(rule, labels[], values[], details[], no_data[], now): returns (labels, state,
-- alert_id, fingerprint) per series given. The alert lifecycle for many series of one rule at once, the only code
-- that turns observations into alerts (notify, acknowledge_alert and resolve_alert are the direct actions of an app
-- or a person). The arrays are one series per position; a series given twice counts once (its last position).
--   breach  -> pending until evaluations_before_firing breaches in a row, then one firing alert; further breaches
--              bump occurrences/last_seen_at/message/metadata of that same alert (firing or acknowledged);
--   clear   -> (value back past the resolve threshold) resolves the open alert;
--   between -> (past the resolve threshold but not the firing one) keeps an open alert, resets a pending count;
--   no data -> per rule.on_no_data: auto (the default: a window that has emptied, detail.window_empty, resolves as
--              Prometheus does, with "no data in the window" as the resolve's message; a source with no rows at all
--              changes nothing), keep (nothing changes), resolve (as clear) or alert (as breach).
-- Firing, repeat (still firing after the rule's repeat_interval, unless acknowledged) and resolve write their
-- notifications in the same transaction (monitoring.enqueue_notifications_many, once per event for all series).
-- monitoring.evaluate_rule calls it only for series whose state changes: a series that stays firing with the same
-- value is not written, so the evaluations it skipped since rule_state was last written (monitoring.rule_runs of the
-- rule) are counted here, into the pending count and the open alert's occurrences and last_seen_at.
-- A few statements for all the series, not a few per series (10,000 changing series: 5 s one at a time, measured).
-- Callers hold the rule's advisory lock (monitoring.evaluate). Engine only.
create or replace function monitoring.apply_observations(
    p_rule monitoring.rules,
    p_labels jsonb[],
    p_values numeric[],
    p_details jsonb[],
    p_no_data boolean[],
    p_now timestamptz
)
returns table (labels jsonb, state text, alert_id uuid, fingerprint text)
language plpgsql
set search_path = ''
-- Planned as usual (monitoring.evaluate_rule, its caller, turns nested loops, merge joins and custom plans off for
-- its own statement): a handful of series is a handful of index lookups.
set enable_nestloop = on
set enable_mergejoin = on
set plan_cache_mode = auto
as $$
#variable_conflict use_column
declare
    v_resolve numeric := coalesce(p_rule.resolve_threshold, p_rule.threshold);
    v_fingerprints text[];
    v_labels jsonb[];
    v_states text[];
    v_alerts uuid[];
    v_firing uuid[];
    v_repeat uuid[];
    v_resolved uuid[];
begin
    if coalesce(pg_catalog.cardinality(p_labels), 0) = 0 then
        return;
    end if;
    v_fingerprints := array(select monitoring.fingerprint(l.labels) from pg_catalog.unnest(p_labels) as l (labels));

    -- The series' state and open alerts, locked before they are read: an acknowledge or a resolve by a person
    -- that commits meanwhile is seen, not overwritten.
    perform
       from monitoring.rule_state as s
      where s.rule_key = p_rule.key and s.fingerprint = any(v_fingerprints)
        for update;
    perform
       from public.system_alerts as a
      where a.alert_type = p_rule.key and a.fingerprint = any(v_fingerprints) and a.resolved_at is null
        for update;

    with given as (
        select distinct on (i.fingerprint) i.fingerprint, i.labels, i.value, coalesce(i.detail, '{}'::jsonb) as detail,
               coalesce(i.no_data, false) as no_data
          from rows from (pg_catalog.unnest(v_fingerprints), pg_catalog.unnest(p_labels), pg_catalog.unnest(p_values),
                          pg_catalog.unnest(p_details), pg_catalog.unnest(p_no_data))
               with ordinality as i (fingerprint, labels, value, detail, no_data, ord)
         order by i.fingerprint, i.ord desc
    ),

    looked_up as materialized (
        select g.*, coalesce(s.consecutive_breaches, 0) as breaches_before, s.pending_since, s.notified_at,
               a.id as open_id, a.status as open_status,
               -- Breaches evaluate_rule skipped while the alert stayed open with the same value: one occurrence each.
               coalesce(k.breaches, 0) as skipped, k.last_at as skipped_last,
               case
                   when g.no_data then case p_rule.on_no_data
                       when 'resolve' then 'clear'
                       when 'alert' then 'breach'
                       when 'auto' then case when (g.detail ->> 'window_empty')::boolean then 'clear' else 'no_data' end
                       else 'no_data'
                   end
                   when monitoring.breaches(g.value, p_rule.comparison, p_rule.threshold) then 'breach'
                   when not monitoring.breaches(g.value, p_rule.comparison, v_resolve) then 'clear'
                   else 'between'
               end as verdict,
               coalesce(g.detail ->> 'summary',
                        pg_catalog.format('%s = %s', p_rule.key, coalesce(g.value::text, 'no data')))
               || pg_catalog.format(' (threshold: %s %s)', p_rule.comparison, p_rule.threshold) as message
          from given as g
          left join monitoring.rule_state as s on s.rule_key = p_rule.key and s.fingerprint = g.fingerprint
          left join public.system_alerts as a
            on a.alert_type = p_rule.key and a.fingerprint = g.fingerprint and a.resolved_at is null
          -- Only for a series with an open alert: the condition gates the call (offset 0 keeps the subquery whole).
          left join lateral (
              select b.breaches, b.last_at
                from monitoring.skipped_breaches(p_rule.key, g.fingerprint, p_now) as b
               where a.id is not null
              offset 0
          ) as k on true
    ),

    decided as (
        select c.*,
               case
                   when c.verdict = 'breach' then
                       case
                           when c.open_id is not null then 'bump'
                           when c.breaches_before + c.skipped + 1 >= p_rule.evaluations_before_firing then 'open'
                           else 'pending'
                       end
                   when c.verdict = 'clear' and c.open_id is not null then 'resolve'
               end as action,
               case c.verdict
                   when 'breach' then c.breaches_before + c.skipped + 1
                   when 'clear' then 0
                   when 'between' then case when c.open_id is null then 0 else c.breaches_before + c.skipped end
                   else c.breaches_before + c.skipped
               end as breaches_after,
               case c.verdict
                   when 'breach' then coalesce(c.pending_since, p_now)
                   when 'clear' then null
                   when 'between' then case when c.open_id is not null then c.pending_since end
                   else c.pending_since
               end as pending_after,
               -- Still firing (not acknowledged) and nobody told for a repeat interval: tell again. notified_at
               -- keeps the attempt when no route took it, so that the series is not due again at every evaluation.
               c.verdict = 'breach' and c.open_status = 'firing'
               and (c.notified_at is null or c.notified_at <= p_now - p_rule.repeat_interval)
               and not exists (
                   select from monitoring.notifications as n
                    where n.alert_id = c.open_id and n.event in ('firing', 'repeat')
                      and n.created_at > p_now - p_rule.repeat_interval
               ) as repeat_due,
               pg_catalog.jsonb_build_object(
                   'rule', p_rule.key,
                   'value', c.value,
                   'threshold', p_rule.threshold,
                   'resolve_threshold', v_resolve,
                   'comparison', p_rule.comparison,
                   'window', p_rule.time_window::text,
                   'labels', p_rule.labels || c.labels,
                   'detail', c.detail,
                   'runbook_url', p_rule.runbook_url
               ) as metadata
          from looked_up as c
    ),

    changed as (
        update public.system_alerts as a
           set occurrences = a.occurrences + d.skipped + case when d.action = 'bump' then 1 else 0 end,
               last_seen_at = case
                   when d.action = 'bump' then p_now
                   when d.skipped > 0 then greatest(a.last_seen_at, d.skipped_last)
                   else a.last_seen_at
               end,
               message = case
                   when d.action = 'bump' then d.message
                   when d.action = 'resolve' and d.no_data then 'no data in the window: ' || d.message
                   else a.message
               end,
               metadata = case
                   when d.action = 'bump' then d.metadata
                   when d.action = 'resolve' then a.metadata || pg_catalog.jsonb_build_object('resolved_value', d.value)
                   else a.metadata
               end,
               status = case when d.action = 'resolve' then 'resolved' else a.status end,
               resolved_at = case when d.action = 'resolve' then p_now else a.resolved_at end
          from decided as d
         where a.id = d.open_id and (d.action in ('bump', 'resolve') or d.skipped > 0)
        returning a.id
    ),

    opened as (
        insert into public.system_alerts (
            alert_type, title, message, severity, metadata, fingerprint, created_at, last_seen_at
        )
        select p_rule.key,
               p_rule.title || case
                   when d.labels = '{}'::jsonb then ''
                   else ' (' || (select pg_catalog.string_agg(l.key || '=' || l.value, ', ' order by l.key)
                                   from pg_catalog.jsonb_each_text(d.labels) as l) || ')'
               end,
               d.message, p_rule.severity, d.metadata, d.fingerprint, p_now, p_now
          from decided as d
         where d.action = 'open'
        returning id, fingerprint
    ),

    result as (
        select d.*, coalesce(d.open_id, o.id) as alert_after,
               case
                   when d.action = 'open' then 'firing'
                   when d.action = 'resolve' then 'resolved'
                   when d.action = 'pending' then 'pending'
                   when d.verdict = 'breach' then d.open_status
                   when d.verdict = 'clear' then case when d.no_data then 'no_data' else 'ok' end
                   when d.verdict = 'between' then coalesce(d.open_status, 'ok')
                   else 'no_data'
               end as state_after,
               case when d.action = 'open' or d.repeat_due then p_now else d.notified_at end as notified_after
          from decided as d
          left join opened as o on o.fingerprint = d.fingerprint
    ),

    stored as (
        insert into monitoring.rule_state as s (
            rule_key, fingerprint, labels, consecutive_breaches, pending_since, last_value, last_state,
            last_evaluated_at, last_verdict, written_at, notified_at
        )
        select p_rule.key, r.fingerprint, r.labels, r.breaches_after, r.pending_after, r.value, r.state_after, p_now,
               r.verdict, pg_catalog.clock_timestamp(), r.notified_after
          from result as r
        on conflict (rule_key, fingerprint) do update
           set labels = excluded.labels,
               consecutive_breaches = excluded.consecutive_breaches,
               pending_since = excluded.pending_since,
               last_value = excluded.last_value,  -- as observed: evaluate_rule compares the next value with it
               last_state = excluded.last_state,
               last_evaluated_at = excluded.last_evaluated_at,
               last_verdict = excluded.last_verdict,
               written_at = excluded.written_at,
               notified_at = excluded.notified_at
    )

    select pg_catalog.array_agg(r.labels), pg_catalog.array_agg(r.state_after), pg_catalog.array_agg(r.alert_after),
           pg_catalog.array_agg(r.fingerprint),
           pg_catalog.array_agg(r.alert_after) filter (where r.action = 'open'),
           pg_catalog.array_agg(r.alert_after) filter (where r.repeat_due),
           pg_catalog.array_agg(r.alert_after) filter (where r.action = 'resolve')
      into v_labels, v_states, v_alerts, v_fingerprints, v_firing, v_repeat, v_resolved
      from result as r;

    -- After the statement, so that the notifications read the alerts as it left them.
    if v_firing is not null then
        perform monitoring.enqueue_notifications_many(v_firing, 'firing', p_now);
    end if;
    if v_repeat is not null then
        perform monitoring.enqueue_notifications_many(v_repeat, 'repeat', p_now);
    end if;
    if v_resolved is not null then
        perform monitoring.enqueue_notifications_many(v_resolved, 'resolved', p_now);
    end if;

    return query
    select u.labels, u.state, u.alert_id, u.fingerprint
      from rows from (pg_catalog.unnest(v_labels), pg_catalog.unnest(v_states), pg_catalog.unnest(v_alerts),
                      pg_catalog.unnest(v_fingerprints)) as u (labels, state, alert_id, fingerprint);
end;
$$;

comment on function monitoring.apply_observations(
    monitoring.rules, jsonb[], numeric[], jsonb[], boolean[], timestamptz
) is
'The alert lifecycle for many series of one rule at once: pending, firing, repeat, resolve, no data. Engine only.';

revoke execute on function monitoring.apply_observations(
    monitoring.rules, jsonb[], numeric[], jsonb[], boolean[], timestamptz
) from public, anon, authenticated;
-- supalert:end sql/engine/apply_observations.sql

-- supalert:source sql/engine/evaluate_rule.sql sha256=3db66eb9a68f4f1fa2e25b3bd2f97619f5d26a3e9368119bfdd7418760da9fab
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
-- supalert:end sql/engine/evaluate_rule.sql

-- supalert:source sql/engine/skipped_breaches.sql sha256=70122aec972378c2af1e7fadfd20c41b049885788447f9de310303b4fb580dc4
-- monitoring.skipped_breaches(rule key, fingerprint, before): returns (breaches, last_at): the evaluations of the
-- rule before `before` since the series' rule_state row was last written, when it was written breaching. Those are
-- the runs monitoring.evaluate_rule skipped the series in (a series that stays firing with the same value is
-- written only when a repeat is due), so they are occurrences an open alert's row does not count yet:
-- monitoring.apply_observations adds them at the series' next write, and the CLI and the dashboard add them to an
-- open alert they show. 0 and null when there are none. Owner only.
create or replace function monitoring.skipped_breaches(
    p_rule text, p_fingerprint text, p_before timestamptz default 'infinity'
)
returns table (breaches integer, last_at timestamptz)
language plpgsql
stable
set search_path = ''
-- plpgsql, not sql: its statement is planned once per session, not at each call (0.1 ms a call, measured: 0.6 s
-- of 5,000 alerts resolving in one evaluation).
as $$
begin
    return query
    select count(rr.id)::integer, max(rr.evaluated_at)
      from monitoring.rule_state as s
      join monitoring.rule_runs as rr
        on rr.rule_key = s.rule_key and rr.outcome <> 'error'
       and rr.evaluated_at > s.last_evaluated_at and rr.evaluated_at < p_before
     where s.rule_key = p_rule and s.fingerprint = p_fingerprint and s.last_verdict = 'breach';
end;
$$;

comment on function monitoring.skipped_breaches(text, text, timestamptz) is
'Breaching evaluations of a series since its state was last written (skipped, so not yet in its alert). Owner only.';

revoke execute on function monitoring.skipped_breaches(text, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/engine/skipped_breaches.sql

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=f9836fb66681d79945942632bb9c82bc87830c4c5fe1194a72fa4f94b0221ec9
-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written. The outbox rows
-- of one alert's event, in the caller's transaction: monitoring.enqueue_notifications_many for one alert (routes,
-- silences, digests, escalation steps, recipients of a resolve, grouping and inhibition are decided there).
-- Raises no_data_found when the alert does not exist. Engine only (resolve_alert, notify, escalate).
create or replace function monitoring.enqueue_notifications(p_alert_id uuid, p_event text, p_now timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
begin
    return monitoring.enqueue_notifications_many(array[p_alert_id], p_event, p_now);
end;
$$;

comment on function monitoring.enqueue_notifications(uuid, text, timestamptz) is
'Writes the outbox rows for one alert event per the routes and silences, in the caller''s transaction. Engine only.';

revoke execute on function monitoring.enqueue_notifications(uuid, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/outbox/enqueue_notifications.sql

-- supalert:source sql/outbox/enqueue_notifications_many.sql sha256=008effc5c0c79efd900bd3ea5086a934f7cb48dc393fc475023cffc460afa930
-- monitoring.enqueue_notifications_many(alert ids, event, now): returns the number of outbox rows written.
-- Writes one monitoring.notifications row per alert and per channel that the enabled routes matching the alert
-- choose, for every alert of p_alert_ids at once (one statement, not one per alert: 10,000 alerts of one
-- evaluation cost 2.5 s one at a time, measured), in the caller's transaction (the one that changed the alerts),
-- so the notifications commit or roll back with them. A route matches on alert type (its rule's,
-- monitoring.alert_types), severity, rule and labels; a route marked untyped_only (the seeded severity routes)
-- serves only alerts without a type, such as an app's own:
--   - a silence matching the alert (rule, severity, labels) at p_now records the rows as suppressed;
--   - a digest route holds them for the daily digest (a test event is always sent at once);
--   - an escalation goes to the channels and recipients of the alert's current step (monitoring.escalate) instead
--     of the routes';
--   - a resolve goes only to channels that were told about the firing, on routes with send_resolved, and to
--     every channel and recipient an escalation paged (payload.recipients; '*' stands for the channel's own);
--   - a notification_dead alert never goes to the channel that is failing;
--   - a firing, repeat, escalation or resolve of a grouped rule's alert (monitoring.rules.group_by) carries its group
--     key and is due at its group's slot (monitoring.group_slot), so the alerts that come together go out as one
--     message per channel (monitoring.form_groups);
--   - the resolve of an inhibiting alert tells, with a firing now, every target that is still firing and was
--     told nothing because of it (monitoring.inhibitions; claim_notifications decides inhibition).
-- Raises no_data_found, naming the first missing id, when an alert does not exist.
-- Engine only (enqueue_notifications, apply_observations).
create or replace function monitoring.enqueue_notifications_many(p_alert_ids uuid[], p_event text, p_now timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_missing uuid;
    v_written integer;
    v_targets uuid[];
begin
    select i.id
      into v_missing
      from pg_catalog.unnest(p_alert_ids) as i (id)
     where not exists (select from public.system_alerts as a where a.id = i.id)
     limit 1;
    if found then
        raise exception 'alert % not found', v_missing using errcode = 'no_data_found';
    end if;

    with alert as materialized (
        select a.id, a.alert_type, a.severity, a.escalation_step, coalesce(a.metadata -> 'labels', '{}'::jsonb) as labels,
               r.alert_type as type, r.group_wait, r.group_interval,
               case when r.group_by is not null and p_event in ('firing', 'repeat', 'escalation', 'resolved') then
                   a.alert_type || ' ' || monitoring.group_labels(coalesce(a.metadata -> 'labels', '{}'::jsonb), r.group_by)::text
                   -- One escalation step pages the same people for every member: a group per step.
                   || case when p_event = 'escalation' then ' step ' || a.escalation_step else '' end
               end as group_key,
               pg_catalog.jsonb_build_object(
                   'alert_id', a.id,
                   'rule', a.alert_type,
                   'title', a.title,
                   'message', a.message,
                   'severity', a.severity,
                   'status', a.status,
                   'event', p_event,
                   'labels', coalesce(a.metadata -> 'labels', '{}'::jsonb),
                   'occurrences', a.occurrences,
                   'created_at', a.created_at,
                   'resolved_at', a.resolved_at,
                   'runbook_url', coalesce(a.metadata ->> 'runbook_url', monitoring.runbook_url(a.alert_type)),
                   'metadata', a.metadata
               ) || case
                   when p_event = 'escalation' then pg_catalog.jsonb_build_object('escalation_step', a.escalation_step)
                   else '{}'::jsonb
               end as payload
          from (select distinct u.id from pg_catalog.unnest(p_alert_ids) as u (id)) as i
          join public.system_alerts as a on a.id = i.id
          left join monitoring.rules as r on r.key = a.alert_type
    ),

    silenced as (
        select al.id, (select s.id
                         from monitoring.silences as s
                        where s.starts_at <= p_now and s.ends_at > p_now
                          and (s.rule_key is null or s.rule_key = al.alert_type)
                          and (s.severity is null or s.severity = al.severity)
                          and al.labels @> s.labels
                        order by s.ends_at desc
                        limit 1) as silence
          from alert as al
    ),

    routed as (
        select al.id, c.channel, pg_catalog.bool_and(r.digest) as digest
          from alert as al
          join monitoring.routes as r
            on r.enabled
           and p_event <> 'escalation'
           and (r.alert_type is null or r.alert_type = al.type)
           and not (r.untyped_only and al.type is not null)
           and (r.severity is null or r.severity = al.severity)
           and (r.rule_key is null or r.rule_key = al.alert_type)
           and al.labels @> r.labels
           and (p_event <> 'resolved' or r.send_resolved)
         cross join lateral pg_catalog.unnest(r.channels) as c (channel)
         group by al.id, c.channel
    ),

    stepped as (
        select distinct al.id, c.channel, s.recipients
          from alert as al
          join monitoring.escalation_steps as s
            on p_event = 'escalation' and s.alert_type = al.type and s.step = al.escalation_step
         cross join lateral pg_catalog.unnest(s.channels) as c (channel)
    ),

    paged as (
        select distinct n.alert_id as id, n.channel
          from monitoring.notifications as n
         where p_event = 'resolved' and n.alert_id = any(p_alert_ids) and n.event = 'escalation'
           and n.status in ('pending', 'sending', 'sent', 'grouped')
    ),

    chosen as (
        select ch.id, ch.channel, coalesce(rt.digest, false) as digest,
               case
                   when p_event <> 'resolved' then st.recipients
                   -- Everyone told on this channel hears the end: the union of what each told row reached (null:
                   -- the channel was told nothing, so it hears nothing).
                   else (select pg_catalog.array_agg(distinct t.recipient order by t.recipient)
                           from monitoring.notifications as n
                          cross join lateral pg_catalog.jsonb_array_elements_text(
                              case
                                  when pg_catalog.jsonb_typeof(n.payload -> 'recipients') = 'array'
                                       and pg_catalog.jsonb_array_length(n.payload -> 'recipients') > 0
                                      then n.payload -> 'recipients'
                                  else '["*"]'::jsonb
                              end
                          ) as t (recipient)
                          where n.alert_id = ch.id and n.channel = ch.channel
                            and n.event in ('firing', 'repeat', 'escalation')
                            and n.status in ('pending', 'sending', 'sent', 'held', 'digested', 'grouped'))
               end as recipients
          from (
              select routed.id, routed.channel from routed
              union
              select stepped.id, stepped.channel from stepped
              union
              select paged.id, paged.channel from paged
          ) as ch
          left join routed as rt on rt.id = ch.id and rt.channel = ch.channel
          left join stepped as st on st.id = ch.id and st.channel = ch.channel
    ),

    outgoing as (
        select al.id, ch.channel, ch.recipients, al.payload, al.group_key, al.group_wait,
               al.group_interval, si.silence,
               case
                   when si.silence is not null then 'suppressed'
                   when ch.digest and p_event <> 'test' then 'held'
                   else 'pending'
               end as status
          from chosen as ch
          join alert as al on al.id = ch.id
          join silenced as si on si.id = ch.id
         where not coalesce(al.alert_type = 'notification_dead' and ch.channel = al.labels ->> 'channel', false)
           and (p_event <> 'resolved' or ch.recipients is not null)
    ),

    -- A group's slot, once per group and channel: the rows of one group in this statement all get the slot the
    -- group had before it, as they would one after another (the first sets it, the rest join it). Once, not per
    -- row: each look would step over the group's rows this statement already wrote (5,000 resolves of one group:
    -- 0.9 s, measured).
    slots as materialized (
        select k.group_key, k.channel,
               monitoring.group_slot(k.group_key, k.channel, p_event, k.group_wait, k.group_interval, p_now) as slot
          from (select distinct o.group_key, o.channel, o.group_wait, o.group_interval
                  from outgoing as o
                 where o.group_key is not null and o.status = 'pending') as k
    )

    insert into monitoring.notifications (
        alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, silenced_by, group_key,
        created_at, updated_at
    )
    select o.id, p_event, o.channel, o.status,
           case
               when coalesce(o.recipients, '{}') in ('{}', '{*}') then o.payload
               else o.payload || pg_catalog.jsonb_build_object('recipients', o.recipients)
           end,
           'supalert-' || pg_catalog.gen_random_uuid()::text,
           coalesce(sl.slot, p_now),
           o.silence,
           case when o.status = 'pending' then o.group_key end,
           p_now, p_now
      from outgoing as o
      left join slots as sl on sl.group_key = o.group_key and sl.channel = o.channel and o.status = 'pending';
    get diagnostics v_written = row_count;

    if p_event = 'resolved' then
        select pg_catalog.array_agg(distinct n.alert_id)
          into v_targets
          from monitoring.notifications as n
          join public.system_alerts as t on t.id = n.alert_id
         where n.inhibited_by = any(p_alert_ids) and t.status = 'firing'
           and not exists (
               select from monitoring.notifications as m
                where m.alert_id = n.alert_id and m.event in ('firing', 'repeat')
                  and m.status in ('pending', 'sending', 'sent', 'held', 'digested', 'grouped')
           );
        if v_targets is not null then
            perform monitoring.enqueue_notifications_many(v_targets, 'firing', p_now);
        end if;
    end if;
    return v_written;
end;
$$;

comment on function monitoring.enqueue_notifications_many(uuid[], text, timestamptz) is
'Writes the outbox rows of one event of many alerts (routes, silences), in the caller''s transaction. Engine only.';

revoke execute on function monitoring.enqueue_notifications_many(uuid[], text, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/outbox/enqueue_notifications_many.sql

-- supalert:source sql/outbox/group_slot.sql sha256=d956ec41f5e25c991a3cb18784f2476cb50abe136cbbb8be81278425f35d77e1
-- monitoring.group_slot(group key, channel, event, group wait, group interval, now): returns when a new outbox row
-- of a grouped rule's alert is due, Alertmanager's timing: with the group's members already waiting to go out
-- together, at their time (it joins them); within p_interval of the group's last message, p_interval after it (at
-- most one message per channel per group interval); otherwise p_wait from now (a new group waits for the
-- alerts that come with it). Engine only (enqueue_notifications).
create or replace function monitoring.group_slot(
    p_group_key text, p_channel text, p_event text, p_wait interval, p_interval interval, p_now timestamptz
)
returns timestamptz
language plpgsql
stable
set search_path = ''
-- plpgsql, not sql: its statement is planned once per session, not at each call (0.2 ms a call, measured).
as $$
begin
    -- First and last by the index's order, not min() and max(): with the outbox's statistics from before a
    -- group's rows arrived, the planner aggregated every row of the group for each new one (10,000 alerts of
    -- one group opening together: 2 ms each, 21 s in all, measured).
    return coalesce(
        (select n.next_attempt_at
           from monitoring.notifications as n
          where n.group_key = p_group_key and n.channel = p_channel and n.event = p_event
            and n.status = 'pending' and n.alert_id is not null and n.group_id is null and n.attempts = 0
            and n.grouped_at is null
          order by n.next_attempt_at
          limit 1),
        (select l.next_slot
           from (select n.grouped_at + p_interval as next_slot
                   from monitoring.notifications as n
                  where n.group_key = p_group_key and n.channel = p_channel and n.event = p_event
                    and n.grouped_at is not null
                  order by n.grouped_at desc
                  limit 1) as l
          where l.next_slot > p_now),
        p_now + p_wait
    );
end;
$$;

comment on function monitoring.group_slot(text, text, text, interval, interval, timestamptz) is
'When a new grouped outbox row is due (group wait, group interval). Engine only.';

revoke execute on function monitoring.group_slot(text, text, text, interval, interval, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/outbox/group_slot.sql

-- supalert:source sql/outbox/runbook_url.sql sha256=3dfe1db3622d02f59606e7303ee199a4b6246503ac638cc08c022a121258a4bb
-- monitoring.runbook_url(rule key): the link a notification of this rule carries to its runbook: the rule's own
-- runbook_url when set (a custom rule's, or a team's wiki page), else the dashboard's page of the shipped runbook
-- (monitoring.settings.dashboard_url + /runbooks/<key>, served from rules/<key>.md), else null (no dashboard
-- address is set, or a custom SQL rule without a runbook_url: it has no shipped page). Engine only (the outbox).
create or replace function monitoring.runbook_url(p_rule text)
returns text
language plpgsql
stable
set search_path = ''
-- plpgsql, not sql: its statement is planned once per session, not at each call (30 us a notification, measured).
as $$
begin
    return (
        select coalesce(
            r.runbook_url,
            case when r.metric_function is distinct from 'metric_custom_sql'
                 then pg_catalog.rtrim(s.dashboard_url, '/') || '/runbooks/' || r.key end
        )
          from monitoring.rules as r
          left join monitoring.settings as s on true
         where r.key = p_rule
    );
end;
$$;

comment on function monitoring.runbook_url(text) is
'The runbook link of a rule: its runbook_url, else the dashboard''s /runbooks/<key>, else null. Engine only.';

revoke execute on function monitoring.runbook_url(text) from public, anon, authenticated;
-- supalert:end sql/outbox/runbook_url.sql
