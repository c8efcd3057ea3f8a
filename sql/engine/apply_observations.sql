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
