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
-- Point lookups, planned as usual (monitoring.evaluate_rule, its caller, turns nested loops, merge joins and
-- custom plans off for its own statement).
set enable_nestloop = on
set enable_mergejoin = on
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
