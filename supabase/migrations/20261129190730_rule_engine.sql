-- 20261129190730_rule_engine: written by `python deploy.py new-migration rule_engine`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.

-- supalert:source sql/functions/acknowledge_alert.sql sha256=a097815c8607fb603581c88d0203be815cd859d3c5bbf38f29183325292d8f04
-- monitoring.acknowledge_alert(alert id, by default the caller): returns the acknowledged public.system_alerts row.
-- An acknowledged alert stays open (occurrences still count) until its rule resolves it. Acknowledging twice keeps
-- the first acknowledgement. Raises for an unknown or resolved alert. Admins only (CLI `ack`, dismiss_alert).
create or replace function monitoring.acknowledge_alert(p_alert_id uuid, p_by text default null)
returns setof public.system_alerts
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_alert public.system_alerts;
begin
    perform monitoring.require_admin();
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id for update;
    if not found then
        raise exception 'alert % not found', p_alert_id
            using errcode = 'no_data_found', hint = 'List open alerts with: python deploy.py alerts';
    end if;
    if v_alert.status = 'resolved' then
        raise exception 'alert % is already resolved (at %)', p_alert_id, v_alert.resolved_at
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if v_alert.status = 'firing' then
        update public.system_alerts as a
           set status = 'acknowledged',
               acknowledged_at = pg_catalog.now(),
               acknowledged_by = coalesce(nullif(p_by, ''), auth.email(), auth.uid()::text, session_user::text)
         where a.id = p_alert_id
        returning a.* into v_alert;
    end if;
    return next v_alert;
end;
$$;

comment on function monitoring.acknowledge_alert(uuid, text) is
'Acknowledges an open alert (it stays open until resolved). Admins only.';

revoke execute on function monitoring.acknowledge_alert(uuid, text) from public, anon;
grant execute on function monitoring.acknowledge_alert(uuid, text) to authenticated, service_role;
-- supalert:end sql/functions/acknowledge_alert.sql

-- supalert:source sql/functions/apply_observation.sql sha256=3b2ceb4d76773e7819b7afe61ad8d04fbcb192a975736083a47f7a366354215b
-- monitoring.apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
-- The alert lifecycle for one series of one rule, the only code that writes public.system_alerts rows:
--   breach  -> pending until evaluations_before_firing breaches in a row, then one firing alert; further breaches
--              bump occurrences/last_seen_at/message/metadata of that same alert (firing or acknowledged);
--   clear   -> (value back past the resolve threshold) resolves the open alert;
--   between -> (past the resolve threshold but not the firing one) keeps an open alert, resets a pending count;
--   no data -> per rule.on_no_data: keep (nothing changes), resolve (as clear) or alert (as breach).
-- Firing, repeat (still firing after the rule's repeat_interval, unless acknowledged) and resolve write their
-- notifications in the same transaction (monitoring.enqueue_notifications).
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
as $$
#variable_conflict use_column
declare
    v_fingerprint text := pg_catalog.md5(p_labels::text);
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
        v_verdict := case p_rule.on_no_data when 'resolve' then 'clear' when 'alert' then 'breach' else 'no_data' end;
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
                   metadata = a.metadata || pg_catalog.jsonb_build_object('resolved_value', p_value)
             where a.id = v_alert_id;
            v_state := 'resolved';
            perform monitoring.enqueue_notifications(v_alert_id, 'resolved', p_now);
        else
            v_state := 'ok';
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

comment on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/functions/apply_observation.sql

-- supalert:source sql/functions/breaches.sql sha256=19ec0e7bcdf7d046d9f96a159d330f5e381100a013c58d95f84e99826e2b5f51
-- monitoring.breaches(value, comparison, threshold): whether `p_value` is past `p_threshold` in the direction of
-- `p_comparison` ('>', '>=', '<', '<='); null when the value is null. Used by the engine for both the firing
-- threshold and the resolve threshold. Engine only.
create or replace function monitoring.breaches(p_value numeric, p_comparison text, p_threshold numeric)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select case p_comparison
        when '>' then p_value > p_threshold
        when '>=' then p_value >= p_threshold
        when '<' then p_value < p_threshold
        when '<=' then p_value <= p_threshold
    end
$$;

comment on function monitoring.breaches(numeric, text, numeric) is
'True when p_value is past p_threshold in the direction of p_comparison. Engine helper.';

revoke execute on function monitoring.breaches(numeric, text, numeric) from public, anon, authenticated;
-- supalert:end sql/functions/breaches.sql

-- supalert:source sql/functions/build_digest.sql sha256=a362be6badd54e3af9aed7fd9397857f8ff32b11b19d1e887b1cd338a5229086
-- monitoring.build_digest(now): returns the number of digest notifications written. Collects every held
-- notification (routes with digest = true, e.g. info alerts) into one 'digest' notification per channel whose
-- payload lists them, and marks them digested. Run daily by the supalert-daily-digest job; safe to run again.
create or replace function monitoring.build_digest(p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_channel text;
    v_items jsonb;
    v_count integer;
    v_digest uuid;
    v_written integer := 0;
begin
    for v_channel in
        select distinct n.channel from monitoring.notifications as n where n.status = 'held' order by n.channel
    loop
        select pg_catalog.jsonb_agg(n.payload order by n.created_at), pg_catalog.count(*)
          into v_items, v_count
          from monitoring.notifications as n
         where n.status = 'held' and n.channel = v_channel;
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, created_at, updated_at
        ) values (
            null, 'digest', v_channel, 'pending',
            pg_catalog.jsonb_build_object(
                'event', 'digest',
                'severity', 'info',
                'title', pg_catalog.format('Daily digest: %s notification(s)', v_count),
                'message', pg_catalog.format('%s low-urgency alert event(s) since the last digest.', v_count),
                'items', v_items,
                'labels', '{}'::jsonb,
                'metadata', '{}'::jsonb
            ),
            'supalert-digest-' || pg_catalog.gen_random_uuid()::text,
            p_now, p_now, p_now
        )
        returning id into v_digest;
        update monitoring.notifications as n
           set status = 'digested', digest_id = v_digest, updated_at = p_now
         where n.status = 'held' and n.channel = v_channel;
        v_written := v_written + 1;
    end loop;
    return v_written;
end;
$$;

comment on function monitoring.build_digest(timestamptz) is
'Turns held (digest-routed) notifications into one digest notification per channel. Daily job.';

revoke execute on function monitoring.build_digest(timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/build_digest.sql

-- supalert:source sql/functions/check_error_rate_threshold.sql sha256=55bc00171bd83d8464fb6620a7155576652c4d9b809c7b528b18590d1e8e31a9
-- public.check_error_rate_threshold(): the seed's error check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule critical_errors_per_hour now (or at p_now) and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_error_rate_threshold(p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('critical_errors_per_hour', p_now);
end;
$$;

comment on function public.check_error_rate_threshold(timestamptz) is
'Evaluates rule critical_errors_per_hour now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_error_rate_threshold(timestamptz) from public, anon;
grant execute on function public.check_error_rate_threshold(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/check_error_rate_threshold.sql

-- supalert:source sql/functions/check_performance_degradation.sql sha256=90723aa93d1c7e3cd6f53d4aa3562f949342654d4be12b28bbfd90c418710fc4
-- public.check_performance_degradation(): the seed's response-time check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule slow_response_time_ms now (or at p_now) and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_performance_degradation(p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('slow_response_time_ms', p_now);
end;
$$;

comment on function public.check_performance_degradation(timestamptz) is
'Evaluates rule slow_response_time_ms now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_performance_degradation(timestamptz) from public, anon;
grant execute on function public.check_performance_degradation(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/check_performance_degradation.sql

-- supalert:source sql/functions/check_sms_delivery_failures.sql sha256=2dab95fc0c93cf05e3d983a9a6ba2c85c7199891b8862178d0f2ea333a0b69f1
-- public.check_sms_delivery_failures(): the seed's SMS failure check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule failed_sms_per_hour now (or at p_now) and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_sms_delivery_failures(p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('failed_sms_per_hour', p_now);
end;
$$;

comment on function public.check_sms_delivery_failures(timestamptz) is
'Evaluates rule failed_sms_per_hour now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_sms_delivery_failures(timestamptz) from public, anon;
grant execute on function public.check_sms_delivery_failures(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/check_sms_delivery_failures.sql

-- supalert:source sql/functions/claim_notifications.sql sha256=974d2109010e38100d30ecd1c56e37cb68690bd21c4be5ddc2abcc193abe4f95
-- monitoring.claim_notifications(worker, limit, lease, alert id, now): returns the claimed outbox rows
-- (id, channel, event, attempts, idempotency_key, payload). Takes up to p_limit due rows (pending and due, or
-- sending with an expired lease: the dispatcher that claimed them died) with FOR UPDATE SKIP LOCKED, so concurrent
-- dispatchers never get the same row, and leases them to p_worker for p_lease. Rows whose lease expired after
-- their last allowed attempt go dead instead. For the dispatcher (edge function, deploy.py, service_role).
create or replace function monitoring.claim_notifications(
    p_worker text,
    p_limit integer default 20,
    p_lease interval default interval '2 minutes',
    p_alert_id uuid default null,
    p_now timestamptz default pg_catalog.now()
)
returns table (id uuid, channel text, event text, attempts integer, idempotency_key text, payload jsonb)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_expired uuid;
begin
    for v_expired in
        select n.id from monitoring.notifications as n
         where n.status = 'sending' and n.lease_until < p_now and n.attempts >= n.max_attempts
           and (p_alert_id is null or n.alert_id = p_alert_id)
           for update skip locked
    loop
        perform monitoring.record_delivery(
            v_expired, 'permanent', null, 'lease expired after the last attempt', null, null, p_now
        );
    end loop;

    return query
    with due as (
        select n.id
          from monitoring.notifications as n
         where ((n.status = 'pending' and n.next_attempt_at <= p_now)
                or (n.status = 'sending' and n.lease_until < p_now))
           and (p_alert_id is null or n.alert_id = p_alert_id)
         order by n.next_attempt_at, n.created_at
         limit greatest(p_limit, 0)
           for update skip locked
    )
    update monitoring.notifications as n
       set status = 'sending',
           attempts = n.attempts + 1,
           lease_until = p_now + p_lease,
           claimed_by = p_worker,
           updated_at = p_now
      from due
     where n.id = due.id
    returning n.id, n.channel, n.event, n.attempts, n.idempotency_key, n.payload;
end;
$$;

comment on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) is
'Claims due outbox rows with FOR UPDATE SKIP LOCKED and a lease. For dispatchers.';

revoke execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) to service_role;
-- supalert:end sql/functions/claim_notifications.sql

-- supalert:source sql/functions/create_silence.sql sha256=85b5ec8670dc6996cabbd6103b7737ec92d7023b94352dacfeaf9730cee8c29d
-- monitoring.create_silence(rule, severity, labels, duration, comment, by): returns the new silence's id.
-- A silence stops notifications for alerts matching all its given matchers (rule key, severity, labels contained
-- in the alert's) from now for p_duration; alerts are still recorded. Admins only (CLI `silence`).
create or replace function monitoring.create_silence(
    p_rule_key text,
    p_severity text,
    p_labels jsonb,
    p_duration interval,
    p_comment text,
    p_by text default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id uuid;
begin
    perform monitoring.require_admin();
    if p_rule_key is not null and not exists (select from monitoring.rules as r where r.key = p_rule_key) then
        raise exception 'unknown rule %', pg_catalog.quote_literal(p_rule_key)
            using errcode = 'no_data_found', hint = 'List the rules with: select key from monitoring.rules;';
    end if;
    if p_duration is null or p_duration <= interval '0' then
        raise exception 'silence duration must be positive, not %', coalesce(p_duration::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    insert into monitoring.silences (rule_key, severity, labels, starts_at, ends_at, created_by, comment)
    values (
        p_rule_key, p_severity, coalesce(p_labels, '{}'::jsonb), pg_catalog.now(), pg_catalog.now() + p_duration,
        coalesce(nullif(p_by, ''), auth.email(), auth.uid()::text, session_user::text), p_comment
    )
    returning id into v_id;
    return v_id;
end;
$$;

comment on function monitoring.create_silence(text, text, jsonb, interval, text, text) is
'Silences notifications for matching alerts for p_duration; alerts are still recorded. Admins only.';

revoke execute on function monitoring.create_silence(text, text, jsonb, interval, text, text) from public, anon;
grant execute on function monitoring.create_silence(text, text, jsonb, interval, text, text)
to authenticated, service_role;
-- supalert:end sql/functions/create_silence.sql

-- supalert:source sql/functions/describe_interval.sql sha256=6ad15cbe128c5831a682c50429c1af86879692f1a6f08e7ac511f40e6deea3d2
-- monitoring.describe_interval(interval): the interval in words for messages ('1 hour', '15 minutes', '30 days',
-- '1 day 2 hours'), where Postgres would print '01:00:00'. Immutable helper for the metric functions' summaries.
create or replace function monitoring.describe_interval(p_interval interval)
returns text
language sql
immutable
set search_path = ''
as $$
    select coalesce(
        nullif(pg_catalog.concat_ws(' ',
            case when p.days > 0 then p.days || ' day' || case when p.days > 1 then 's' else '' end end,
            case when p.hours > 0 then p.hours || ' hour' || case when p.hours > 1 then 's' else '' end end,
            case when p.minutes > 0 then p.minutes || ' minute' || case when p.minutes > 1 then 's' else '' end end,
            case when p.seconds > 0 then p.seconds || ' second' || case when p.seconds > 1 then 's' else '' end end
        ), ''),
        '0 seconds'
    )
    from (
        select
            pg_catalog.floor(extract(epoch from p_interval) / 86400)::bigint as days,
            pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 86400) / 3600)::bigint as hours,
            pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 3600) / 60)::bigint as minutes,
            pg_catalog.floor(pg_catalog.mod(extract(epoch from p_interval), 60))::bigint as seconds
    ) as p
$$;

comment on function monitoring.describe_interval(interval) is
'An interval in words (1 hour, 15 minutes) for alert messages.';

revoke execute on function monitoring.describe_interval(interval) from public, anon, authenticated;
-- supalert:end sql/functions/describe_interval.sql

-- supalert:source sql/functions/dismiss_alert.sql sha256=31a9263dd4aa6654b0b8061ca296081b3a8a67ca46a7ce50f0d4d9072a4abbb7
-- public.dismiss_alert(alert id): returns true. The seed dashboard's Dismiss button: acknowledges the alert (it
-- leaves the `dismissed = false` widget, and stays open until its rule resolves it). Admins only; runs as the
-- caller, and monitoring.acknowledge_alert checks the admin claim.
create or replace function public.dismiss_alert(p_alert_id uuid)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
begin
    perform from monitoring.acknowledge_alert(p_alert_id);
    return true;
end;
$$;

comment on function public.dismiss_alert(uuid) is
'Dashboard: acknowledge (dismiss) an alert. Admins only.';

revoke execute on function public.dismiss_alert(uuid) from public, anon;
grant execute on function public.dismiss_alert(uuid) to authenticated, service_role;
-- supalert:end sql/functions/dismiss_alert.sql

-- supalert:source sql/functions/enqueue_notifications.sql sha256=071147425ff932d161be27c3e4ad96869d30c8a80f8c087579007d30051890bb
-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written.
-- Writes one monitoring.notifications row per channel that the enabled routes matching the alert choose, in the
-- caller's transaction (the one that changed the alert), so the notification commits or rolls back with it:
--   - a silence matching the alert (rule, severity, labels) at p_now records the rows as suppressed;
--   - a digest route holds them for the daily digest (a test event is always sent at once);
--   - a resolve goes only to channels that were told about the firing, and only on routes with send_resolved;
--   - a notification_dead alert never goes to the channel that is failing.
-- Engine only (apply_observation, resolve_alert, notify).
create or replace function monitoring.enqueue_notifications(p_alert_id uuid, p_event text, p_now timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_alert public.system_alerts;
    v_labels jsonb;
    v_silence uuid;
    v_channel text;
    v_digest boolean;
    v_written integer := 0;
    v_payload jsonb;
begin
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id;
    if not found then
        raise exception 'alert % not found', p_alert_id using errcode = 'no_data_found';
    end if;
    v_labels := coalesce(v_alert.metadata -> 'labels', '{}'::jsonb);

    select s.id
      into v_silence
      from monitoring.silences as s
     where s.starts_at <= p_now and s.ends_at > p_now
       and (s.rule_key is null or s.rule_key = v_alert.alert_type)
       and (s.severity is null or s.severity = v_alert.severity)
       and v_labels @> s.labels
     order by s.ends_at desc
     limit 1;

    v_payload := pg_catalog.jsonb_build_object(
        'alert_id', v_alert.id,
        'rule', v_alert.alert_type,
        'title', v_alert.title,
        'message', v_alert.message,
        'severity', v_alert.severity,
        'status', v_alert.status,
        'event', p_event,
        'labels', v_labels,
        'occurrences', v_alert.occurrences,
        'created_at', v_alert.created_at,
        'resolved_at', v_alert.resolved_at,
        'runbook_url', v_alert.metadata ->> 'runbook_url',
        'metadata', v_alert.metadata
    );

    for v_channel, v_digest in
        select c.channel, pg_catalog.bool_and(r.digest)
          from monitoring.routes as r
         cross join lateral pg_catalog.unnest(r.channels) as c (channel)
         where r.enabled
           and (r.severity is null or r.severity = v_alert.severity)
           and (r.rule_key is null or r.rule_key = v_alert.alert_type)
           and v_labels @> r.labels
           and (p_event <> 'resolved' or r.send_resolved)
         group by c.channel
         order by c.channel
    loop
        continue when v_alert.alert_type = 'notification_dead' and v_channel = v_labels ->> 'channel';
        continue when p_event = 'resolved' and not exists (
            select from monitoring.notifications as n
             where n.alert_id = p_alert_id and n.channel = v_channel and n.event in ('firing', 'repeat')
               and n.status in ('pending', 'sending', 'sent', 'held', 'digested')
        );
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, silenced_by, created_at,
            updated_at
        ) values (
            p_alert_id, p_event, v_channel,
            case
                when v_silence is not null then 'suppressed'
                when v_digest and p_event <> 'test' then 'held'
                else 'pending'
            end,
            v_payload,
            'supalert-' || pg_catalog.gen_random_uuid()::text,
            p_now, v_silence, p_now, p_now
        );
        v_written := v_written + 1;
    end loop;
    return v_written;
end;
$$;

comment on function monitoring.enqueue_notifications(uuid, text, timestamptz) is
'Writes the outbox rows for one alert event per the routes and silences, in the caller''s transaction. Engine only.';

revoke execute on function monitoring.enqueue_notifications(uuid, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/enqueue_notifications.sql

-- supalert:source sql/functions/evaluate.sql sha256=30e9e92e2e207fe44b47f73f8a5c3acb88876dc1b4b3db6f7e1c2e7aeb632d13
-- monitoring.evaluate(rule default null, now default now()): one row per series evaluated
-- (rule, labels, value, threshold, state, alert_id, summary), so a DBA sees the answer in psql.
-- With no rule: every enabled rule that is due (its evaluation_interval has passed since its last run), then the
-- heartbeat. With a rule key: that rule now, due or not (a disabled rule is reported, not evaluated).
-- Each rule runs under its own advisory lock (overlapping runs, e.g. pg_cron and a DBA, never double-fire) and in
-- its own subtransaction: a rule that raises is logged, raises one rule_error alert, and the others still run.
-- Callers: pg_cron, deploy.py, service_role, and admins through the public check_* functions.
create or replace function monitoring.evaluate(p_rule text default null, p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_rule monitoring.rules;
    v_error_rule monitoring.rules;
    v_evaluated integer := 0;
    v_failed integer := 0;
    v_message text;
    v_sqlstate text;
    v_rule_started timestamptz;
    v_error_alert uuid;
begin
    perform monitoring.require_admin();
    if p_rule is not null and not exists (select from monitoring.rules as r where r.key = p_rule) then
        raise exception 'unknown rule %', pg_catalog.quote_literal(p_rule)
            using errcode = 'no_data_found', hint = 'List the rules with: select key from monitoring.rules;';
    end if;

    for v_rule in
        select r.*
          from monitoring.rules as r
         where r.kind = 'metric'
           and (r.key = p_rule or (p_rule is null and r.enabled))
         order by r.key
    loop
        if not v_rule.enabled then
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'disabled';
            alert_id := null;
            summary := 'rule is disabled (monitoring.rules.enabled = false)';
            return next;
            continue;
        end if;
        -- Keys are taken in key order by every caller, so two evaluations cannot deadlock.
        perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:' || v_rule.key, 0));
        -- Re-checked under the lock: a run that waited for another sees its work and skips a rule not yet due.
        continue when p_rule is null and exists (
            select from monitoring.rule_runs as rr
             where rr.rule_key = v_rule.key
               and rr.evaluated_at <= p_now
               -- 10 s of slack: pg_cron starts a minute job a little early or late
               and rr.evaluated_at > p_now - v_rule.evaluation_interval + interval '10 seconds'
        );
        v_evaluated := v_evaluated + 1;
        v_rule_started := pg_catalog.clock_timestamp();
        begin
            return query select * from monitoring.evaluate_rule(v_rule, p_now);
        exception when others then
            get stacked diagnostics v_message = message_text, v_sqlstate = returned_sqlstate;
            v_failed := v_failed + 1;
            insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, duration_ms, error, sqlstate)
            values (
                v_rule.key, p_now, 'error',
                extract(epoch from pg_catalog.clock_timestamp() - v_rule_started) * 1000, v_message, v_sqlstate
            );
            select r.* into v_error_rule from monitoring.rules as r where r.key = 'rule_error' and r.enabled;
            v_error_alert := null;
            if found then
                select o.alert_id
                  into v_error_alert
                  from monitoring.apply_observation(
                      v_error_rule,
                      pg_catalog.jsonb_build_object('rule', v_rule.key),
                      1,
                      pg_catalog.jsonb_build_object(
                          'summary', pg_catalog.format('rule %s failed: %s', v_rule.key, v_message),
                          'sqlstate', v_sqlstate),
                      false,
                      p_now
                  ) as o;
            end if;
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'error';
            alert_id := v_error_alert;
            summary := pg_catalog.format('%s (SQLSTATE %s)', v_message, v_sqlstate);
            return next;
        end;
    end loop;

    if p_rule is null then
        insert into monitoring.heartbeat as h (
            id, last_evaluated_at, completed_at, duration_ms, rules_evaluated, rules_failed
        ) values (
            true, p_now, pg_catalog.clock_timestamp(),
            extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000, v_evaluated, v_failed
        )
        on conflict (id) do update
           set last_evaluated_at = excluded.last_evaluated_at,
               completed_at = excluded.completed_at,
               duration_ms = excluded.duration_ms,
               rules_evaluated = excluded.rules_evaluated,
               rules_failed = excluded.rules_failed;
    end if;
end;
$$;

comment on function monitoring.evaluate(text, timestamptz) is
'Evaluates due rules (or one rule) at p_now; the only way alerts are created, updated or resolved. Admins only.';

revoke execute on function monitoring.evaluate(text, timestamptz) from public, anon;
grant execute on function monitoring.evaluate(text, timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/evaluate.sql

-- supalert:source sql/functions/evaluate_rule.sql sha256=886c81cf9992fd86faf8c05d74e74a168941d3be0ee236fd88fda293a58f40d4
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
    v_error_rule monitoring.rules;
    v_error_labels jsonb := pg_catalog.jsonb_build_object('rule', p_rule.key);
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

    if exists (select from public.system_alerts as a
                where a.alert_type = 'rule_error' and a.resolved_at is null
                  and a.fingerprint = pg_catalog.md5(v_error_labels::text)) then
        select r.* into v_error_rule from monitoring.rules as r where r.key = 'rule_error';
        perform monitoring.apply_observation(
            v_error_rule, v_error_labels, 0, '{"summary": "the rule evaluates again"}'::jsonb, false, p_now
        );
    end if;
end;
$$;

comment on function monitoring.evaluate_rule(monitoring.rules, timestamptz) is
'Evaluates one rule at p_now: every series through the lifecycle, the run logged. Engine only.';

revoke execute on function monitoring.evaluate_rule(monitoring.rules, timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/evaluate_rule.sql

-- supalert:source sql/functions/get_error_rate.sql sha256=0506f3502c6aa005749472870a879a5d950aec5bbb0de1f399205c471e127c4c
-- public.get_error_rate(window minutes, now): one row (error_count, errors_per_minute, window_minutes) over
-- public.error_logs, as the seed's ErrorRateWidget calls it (`rpc('get_error_rate', {p_time_window_minutes: 60})`
-- and reads errors_per_minute). Admins only; runs as the caller, so RLS applies too.
create or replace function public.get_error_rate(
    p_time_window_minutes integer default 60,
    p_now timestamptz default pg_catalog.now()
)
returns table (error_count bigint, errors_per_minute numeric, window_minutes integer)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
    perform monitoring.require_admin();
    if p_time_window_minutes is null or p_time_window_minutes not between 1 and 10080 then
        raise exception 'p_time_window_minutes must be between 1 and 10080 (a week), not %',
            coalesce(p_time_window_minutes::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    select c.n, pg_catalog.round(c.n::numeric / p_time_window_minutes, 3), p_time_window_minutes
      from (
          select pg_catalog.count(*) as n
            from public.error_logs as e
           where e.occurred_at > p_now - pg_catalog.make_interval(mins => p_time_window_minutes)
             and e.occurred_at <= p_now
      ) as c;
end;
$$;

comment on function public.get_error_rate(integer, timestamptz) is
'Dashboard: errors and errors per minute over the last p_time_window_minutes. Admins only.';

revoke execute on function public.get_error_rate(integer, timestamptz) from public, anon;
grant execute on function public.get_error_rate(integer, timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/get_error_rate.sql

-- supalert:source sql/functions/notify.sql sha256=b702d842cee8cd29e73f09a166afc3f9170e32c8c782f28f3d6dc281c71cf917
-- monitoring.notify(severity, title, message, category, metadata, now): returns (alert_id, notifications).
-- What send-alert-notification records: an alert raised by the app or a person rather than a rule (the seed's
-- body {severity, title, message, category}), with its outbox rows, in one transaction. Severity 'medium' means
-- warning. Category system_test is a test: recorded already resolved (it must not linger as an open incident) and
-- sent at once even where the route is a digest. Admins, service_role and database logins.
create or replace function monitoring.notify(
    p_severity text,
    p_title text,
    p_message text,
    p_category text,
    p_metadata jsonb default '{}'::jsonb,
    p_now timestamptz default pg_catalog.now()
)
returns table (alert_id uuid, notifications integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_severity text := pg_catalog.lower(pg_catalog.btrim(p_severity));
    v_test boolean := p_category = 'system_test';
    v_id uuid;
begin
    perform monitoring.require_admin();
    v_severity := case v_severity when 'medium' then 'warning' else v_severity end;
    if v_severity is null or v_severity not in ('critical', 'high', 'warning', 'info') then
        raise exception 'severity must be critical, high, warning or info, not %', coalesce(p_severity, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(pg_catalog.btrim(p_title), '') = '' then
        raise exception 'title must not be empty' using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(p_category, '') !~ '^[A-Za-z0-9_.:-]{1,100}$' then
        raise exception 'category must be 1 to 100 letters, digits or _ . : -' using errcode = 'invalid_parameter_value';
    end if;
    insert into public.system_alerts (
        alert_type, title, message, severity, metadata, fingerprint, status, resolved_at, created_at, last_seen_at
    ) values (
        p_category, p_title, coalesce(p_message, ''), v_severity,
        coalesce(p_metadata, '{}'::jsonb) || pg_catalog.jsonb_build_object(
            'source', 'send-alert-notification', 'category', p_category, 'labels', '{}'::jsonb),
        'manual:' || pg_catalog.gen_random_uuid()::text,
        case when v_test then 'resolved' else 'firing' end,
        case when v_test then p_now end,
        p_now, p_now
    )
    returning id into v_id;
    alert_id := v_id;
    notifications := monitoring.enqueue_notifications(v_id, case when v_test then 'test' else 'firing' end, p_now);
    return next;
end;
$$;

comment on function monitoring.notify(text, text, text, text, jsonb, timestamptz) is
'Records an alert sent by the app or a person, with its notifications. For send-alert-notification.';

revoke execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz) from public, anon;
grant execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/notify.sql

-- supalert:source sql/functions/record_delivery.sql sha256=4043a98930ef822403869a7131a55ee2566b3500f3a43352501bceef3bd24172
-- monitoring.record_delivery(id, outcome, status code, error, retry-after seconds, provider id, now): returns the
-- row's new status (sent, pending or dead). Outcomes: 'sent'; 'retry' (5xx, 429, timeout): due again after
-- Retry-After when the provider gave one, else after an exponential backoff (30 s, 1, 2, 4 ... min, at most
-- 1 h), and dead after max_attempts; 'permanent' (a 4xx that will not change): dead at once. A dead notification
-- opens (or bumps) a notification_dead alert for its channel, which is routed away from that channel; a sent one
-- resolves that alert. Recording 'sent' twice is harmless. For the dispatcher.
create or replace function monitoring.record_delivery(
    p_id uuid,
    p_outcome text,
    p_status_code integer default null,
    p_error text default null,
    p_retry_after_seconds integer default null,
    p_provider_id text default null,
    p_now timestamptz default pg_catalog.now()
)
returns text
language plpgsql
set search_path = ''
as $$
declare
    v_row monitoring.notifications;
    v_status text;
    v_dead_rule monitoring.rules;
    v_dead_labels jsonb;
    v_alert_type text;
begin
    if p_outcome not in ('sent', 'retry', 'permanent') then
        raise exception 'outcome must be sent, retry or permanent, not %', pg_catalog.quote_literal(p_outcome)
            using errcode = 'invalid_parameter_value';
    end if;
    select n.* into v_row from monitoring.notifications as n where n.id = p_id for update;
    if not found then
        raise exception 'notification % not found', p_id using errcode = 'no_data_found';
    end if;
    if v_row.status in ('sent', 'dead') or (v_row.status <> 'sending' and p_outcome <> 'sent') then
        -- Already settled, or a late report after the lease passed to someone else: keep what is recorded,
        -- except that a real delivery always counts.
        if p_outcome <> 'sent' or v_row.status = 'sent' then
            return v_row.status;
        end if;
    end if;

    v_status := case
        when p_outcome = 'sent' then 'sent'
        when p_outcome = 'permanent' or v_row.attempts >= v_row.max_attempts then 'dead'
        else 'pending'
    end;
    update monitoring.notifications as n
       set status = v_status,
           lease_until = null,
           last_status_code = p_status_code,
           last_error = pg_catalog.left(p_error, 2000),
           provider_id = coalesce(p_provider_id, n.provider_id),
           sent_at = case when v_status = 'sent' then p_now end,
           next_attempt_at = case
               when v_status = 'pending' and p_retry_after_seconds is not null
                   then p_now + pg_catalog.make_interval(secs => greatest(p_retry_after_seconds, 1))
               when v_status = 'pending'
                   then p_now + least(interval '30 seconds' * (2 ^ greatest(v_row.attempts - 1, 0)), interval '1 hour')
               else n.next_attempt_at
           end,
           updated_at = p_now
     where n.id = p_id;

    if v_status in ('dead', 'sent') then
        select a.alert_type into v_alert_type from public.system_alerts as a where a.id = v_row.alert_id;
        v_dead_labels := pg_catalog.jsonb_build_object('channel', v_row.channel);
        select r.* into v_dead_rule from monitoring.rules as r where r.key = 'notification_dead' and r.enabled;
        -- A notification about a dead channel that dies itself raises nothing more: no loop.
        if found and coalesce(v_alert_type, '') <> 'notification_dead' and (
            v_status = 'dead' or exists (
                select from public.system_alerts as a
                 where a.alert_type = 'notification_dead' and a.resolved_at is null
                   and a.fingerprint = pg_catalog.md5(v_dead_labels::text))
        ) then
            perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:notification_dead', 0));
            perform monitoring.apply_observation(
                v_dead_rule, v_dead_labels, case when v_status = 'dead' then 1 else 0 end,
                pg_catalog.jsonb_build_object(
                    'summary', case when v_status = 'dead'
                        then pg_catalog.format('%s notification %s gave up after %s attempt(s): %s',
                            v_row.channel, v_row.id, v_row.attempts, coalesce(p_error, 'no error given'))
                        else pg_catalog.format('%s delivers again', v_row.channel)
                    end,
                    'notification_id', v_row.id,
                    'status_code', p_status_code),
                false, p_now
            );
        end if;
    end if;
    return v_status;
end;
$$;

comment on function monitoring.record_delivery(uuid, text, integer, text, integer, text, timestamptz) is
'Records a delivery attempt: sent, retry later (backoff or Retry-After), or dead (raises notification_dead).';

revoke execute on function monitoring.record_delivery(uuid, text, integer, text, integer, text, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.record_delivery(uuid, text, integer, text, integer, text, timestamptz)
to service_role;
-- supalert:end sql/functions/record_delivery.sql

-- supalert:source sql/functions/require_admin.sql sha256=85579961334ebc9d290def140408e43bf9b5e239ea383de21440f3bcc6e9e46a
-- monitoring.require_admin(): returns nothing; raises insufficient_privilege unless the caller may run supalert's
-- admin functions. Requests through the Data API run as anon or authenticated, and only an admin
-- (monitoring.is_admin()) passes; service_role and database logins (psql, pg_cron, deploy.py) pass.
-- current_setting('role') names the role the request switched to even inside a security definer function,
-- where current_user is the owner. Called at the top of every admin function.
create or replace function monitoring.require_admin()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if pg_catalog.current_setting('role') in ('anon', 'authenticated') and not monitoring.is_admin() then
        raise exception 'permission denied: this supalert function is for admins only'
            using errcode = 'insufficient_privilege',
                  hint = 'Sign in as a user whose app_metadata.role is in monitoring.settings.admin_roles.';
    end if;
end;
$$;

comment on function monitoring.require_admin() is
'Raises insufficient_privilege unless the caller is an admin user, service_role or a database login.';

revoke execute on function monitoring.require_admin() from public, anon;
grant execute on function monitoring.require_admin() to authenticated, service_role;
-- supalert:end sql/functions/require_admin.sql

-- supalert:source sql/functions/resolve_alert.sql sha256=10025de77a4657eee5fa634fe16aeaf480258ade03836f86c050a69a795f6fa2
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
       set consecutive_breaches = 0, pending_since = null, last_state = 'resolved'
     where s.rule_key = v_alert.alert_type and s.fingerprint = v_alert.fingerprint;
    return next v_alert;
end;
$$;

comment on function monitoring.resolve_alert(uuid, text) is
'Resolves an open alert by hand; the rule re-opens one if the condition persists. Admins only.';

revoke execute on function monitoring.resolve_alert(uuid, text) from public, anon;
grant execute on function monitoring.resolve_alert(uuid, text) to authenticated, service_role;
-- supalert:end sql/functions/resolve_alert.sql

-- supalert:source sql/functions/rules_check_metric_function.sql sha256=7dbfb0572819cb0dfd8d4e37895ab5dde5f1ddc9564f089c0c85edbdfdc5726f
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
    new.updated_at := pg_catalog.now();
    if new.metric_function is null then
        return new;
    end if;
    v_function := pg_catalog.to_regprocedure(
        pg_catalog.format('monitoring.%I(monitoring.rules, timestamptz)', new.metric_function));
    if v_function is null then
        raise exception 'invalid metric_function % for rule %: there is no function monitoring.%(monitoring.rules, timestamptz)',
            pg_catalog.quote_literal(new.metric_function), new.key, new.metric_function
            using errcode = 'check_violation', column = 'metric_function', table = 'rules', schema = 'monitoring',
                  hint = 'Create it from a file in sql/rules/, or name an existing metric function.';
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
-- supalert:end sql/functions/rules_check_metric_function.sql

-- supalert:source sql/rules/metric_active_users.sql sha256=96c77dd5b40d62a8a034a7a4809d99d51016fa09c018f2f9b25212ae55af9e81
-- monitoring.metric_active_users(rule, now): distinct users in public.user_sessions whose last_active_at falls in
-- the window (15 minutes for the seed's concurrent_users_threshold). Zero users is a value. Metric interface;
-- called by monitoring.evaluate only.
create or replace function monitoring.metric_active_users(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.users::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'active_users', c.users,
            'summary', pg_catalog.format(
                '%s user(s) active in the last %s', c.users, monitoring.describe_interval(p_rule.time_window)
            )
        ),
        false
      from (
          select pg_catalog.count(distinct s.user_id) as users
            from public.user_sessions as s
           where s.last_active_at > p_now - p_rule.time_window
             and s.last_active_at <= p_now
      ) as c
$$;

comment on function monitoring.metric_active_users(monitoring.rules, timestamptz) is
'Metric: distinct users with user_sessions.last_active_at in the window.';

revoke execute on function monitoring.metric_active_users(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_active_users.sql

-- supalert:source sql/rules/metric_database_size_gb.sql sha256=964531d20c11035b2fc890af86a8e190a274da07fcec56be2a94ae1461ad07e9
-- monitoring.metric_database_size_gb(rule, now): the size of the current database in GiB (pg_database_size), the
-- figure Supabase's plan limits count. The window is not used: the size is a reading, not a sum. Metric
-- interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_database_size_gb(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        pg_catalog.round(s.bytes / 1073741824.0, 3),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'bytes', s.bytes,
            'rule', p_rule.key,
            'measured_at', p_now,
            'summary', pg_catalog.format('database size %s', pg_catalog.pg_size_pretty(s.bytes))
        ),
        false
      from (select pg_catalog.pg_database_size(pg_catalog.current_database()) as bytes) as s
$$;

comment on function monitoring.metric_database_size_gb(monitoring.rules, timestamptz) is
'Metric: pg_database_size of the current database in GiB.';

revoke execute on function monitoring.metric_database_size_gb(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_database_size_gb.sql

-- supalert:source sql/rules/metric_duration.sql sha256=c3b12a0545a57e51cd09ddbbdff8bbf115b1f1be2554ff46a641a537659d817c
-- monitoring.metric_duration(rule, now): the average (params.aggregate = 'avg', the seed's choice) or 95th
-- percentile ('p95') of public.performance_metrics.duration_ms over the window, for rows whose metric_type is
-- params.metric_type (default 'edge_function'). No rows in the window is no data. Metric interface; called by
-- monitoring.evaluate only.
create or replace function monitoring.metric_duration(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_metric_type text := coalesce(p_rule.params ->> 'metric_type', 'edge_function');
    v_aggregate text := coalesce(p_rule.params ->> 'aggregate', 'avg');
    v_samples bigint;
    v_avg numeric;
    v_p95 numeric;
    v_value numeric;
begin
    if v_aggregate not in ('avg', 'p95') then
        raise exception 'rule %: params.aggregate must be avg or p95, not %', p_rule.key, pg_catalog.quote_literal(v_aggregate)
            using errcode = 'invalid_parameter_value';
    end if;
    select pg_catalog.count(*),
           pg_catalog.avg(m.duration_ms),
           (pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric
      into v_samples, v_avg, v_p95
      from public.performance_metrics as m
     where m.metric_type = v_metric_type
       and m.recorded_at > p_now - p_rule.time_window
       and m.recorded_at <= p_now;
    v_value := case v_aggregate when 'p95' then v_p95 else v_avg end;
    return query select
        pg_catalog.round(v_value, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'samples', v_samples,
            'avg_ms', pg_catalog.round(v_avg, 1),
            'p95_ms', pg_catalog.round(v_p95, 1),
            'metric_type', v_metric_type,
            'summary', case when v_samples = 0
                then pg_catalog.format(
                    'no %s timings in the last %s', v_metric_type, monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s %s duration %s ms over %s sample(s) in the last %s',
                    v_aggregate, v_metric_type, pg_catalog.round(v_value), v_samples,
                    monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_samples = 0;
end;
$$;

comment on function monitoring.metric_duration(monitoring.rules, timestamptz) is
'Metric: avg or p95 of performance_metrics.duration_ms for params.metric_type in the window; no rows is no data.';

revoke execute on function monitoring.metric_duration(monitoring.rules, timestamptz) from public, anon, authenticated;
-- supalert:end sql/rules/metric_duration.sql

-- supalert:source sql/rules/metric_error_count.sql sha256=704fa053a87d6823e7d7b84815e2df54051bd24b2b3d66234d4d94ed28f0b9dd
-- monitoring.metric_error_count(rule, now): the number of public.error_logs rows in the rule's window whose
-- severity is in params.severities (default high and critical, as the seed's check_error_rate_threshold counted).
-- One series; zero errors is a value, not missing data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_error_count(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    with wanted as (
        select coalesce(
            (select pg_catalog.array_agg(s.severity order by s.severity)
               from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as s (severity)),
            array['critical', 'high']
        ) as severities
    ),
    counted as (
        select pg_catalog.count(*) as errors
          from public.error_logs as e, wanted as w
         where e.occurred_at > p_now - p_rule.time_window
           and e.occurred_at <= p_now
           and e.severity = any (w.severities)
    )
    select
        c.errors::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'error_count', c.errors,
            'severities', w.severities,
            'summary', pg_catalog.format(
                '%s %s error(s) in the last %s', c.errors, pg_catalog.array_to_string(w.severities, '/'),
                monitoring.describe_interval(p_rule.time_window)
            )
        ),
        false
      from counted as c, wanted as w
$$;

comment on function monitoring.metric_error_count(monitoring.rules, timestamptz) is
'Metric: error_logs rows in the window with severity in params.severities (default critical, high).';

revoke execute on function monitoring.metric_error_count(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_error_count.sql

-- supalert:source sql/rules/metric_sms_failure_percentage.sql sha256=c6626b7cdbaa1d6e069a1d774a786aba64e6a42fd39dae58c1b893e47daa07b3
-- monitoring.metric_sms_failure_percentage(rule, now): the percentage of public.sms_delivery_log rows in the window
-- whose delivery_status is 'failed' (the seed's check_sms_delivery_failures). No SMS in the window is no data
-- (the seed skipped the check). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_sms_failure_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    with counted as (
        select pg_catalog.count(*) filter (where s.delivery_status = 'failed') as failed,
               pg_catalog.count(*) as total
          from public.sms_delivery_log as s
         where s.created_at > p_now - p_rule.time_window
           and s.created_at <= p_now
    )
    select
        case when c.total > 0 then pg_catalog.round(c.failed * 100.0 / c.total, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'total_count', c.total,
            'summary', case when c.total = 0
                then pg_catalog.format('no SMS sent in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s of %s SMS failed (%s%%) in the last %s',
                    c.failed, c.total, pg_catalog.round(c.failed * 100.0 / c.total, 2),
                    monitoring.describe_interval(p_rule.time_window))
            end
        ),
        c.total = 0
      from counted as c
$$;

comment on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz) is
'Metric: percentage of sms_delivery_log rows with delivery_status failed in the window; no SMS is no data.';

revoke execute on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_sms_failure_percentage.sql

-- supalert:source sql/cron/cleanup_rule_runs.sql sha256=b02dc74c79b73911931cbbd970c3b5979e987de9133cdd593132d4e11c72a5cf
-- Job supalert-cleanup-rule-runs: daily at 03:27 UTC, deletes check-run log rows older than 14 days (one row per
-- rule per minute is about 20,000 rows a day). Scheduling by name updates the job in place.
select cron.schedule(
    'supalert-cleanup-rule-runs',
    '27 3 * * *',
    $$delete from monitoring.rule_runs where evaluated_at < now() - interval '14 days'$$
);
-- supalert:end sql/cron/cleanup_rule_runs.sql

-- supalert:source sql/cron/daily_digest.sql sha256=89dc8237da62ed74e17be1526aab25580a9bb2f2d817633c186629ce25f7dc51
-- Job supalert-daily-digest: daily at 08:00 UTC, gathers held notifications (routes with digest = true, such as
-- info alerts) into one digest notification per channel. Scheduling by name updates the job in place.
select cron.schedule(
    'supalert-daily-digest',
    '0 8 * * *',
    $$select monitoring.build_digest()$$
);
-- supalert:end sql/cron/daily_digest.sql

-- supalert:source sql/cron/dispatch_via_pg_net.sql sha256=0862f010df819266144a6e7177268996814d4caa8b26d1a9c36d4d0112531dad
-- Job supalert-dispatch, only where pg_net and Supabase Vault exist (as on Supabase): every minute, calls the
-- check-alert-triggers edge function through pg_net, with the project URL and the dispatch secret read from Vault
-- (stored by `python deploy.py secrets set`), so no secret is written into cron.job. Elsewhere (plain Postgres,
-- the tests) nothing is scheduled and a notice says so: call `python deploy.py dispatch` from any scheduler.
do $$
begin
    if exists (select from pg_catalog.pg_extension where extname = 'pg_net')
       and exists (select from pg_catalog.pg_extension where extname = 'supabase_vault') then
        perform cron.schedule(
            'supalert-dispatch',
            '* * * * *',
            $job$
            select net.http_post(
                url := (select s.decrypted_secret from vault.decrypted_secrets as s
                         where s.name = 'supalert_project_url') || '/functions/v1/check-alert-triggers',
                headers := pg_catalog.jsonb_build_object(
                    'Content-Type', 'application/json',
                    'Authorization', 'Bearer ' || (select s.decrypted_secret from vault.decrypted_secrets as s
                                                    where s.name = 'supalert_dispatch_secret')),
                body := '{}'::jsonb,
                timeout_milliseconds := 55000
            )
            $job$
        );
    else
        raise notice 'supalert: pg_net or Supabase Vault is not installed here, so the database does not call '
            'check-alert-triggers; run `python deploy.py dispatch` every minute from a scheduler instead';
    end if;
end
$$;
-- supalert:end sql/cron/dispatch_via_pg_net.sql

-- supalert:source sql/cron/evaluate_rules.sql sha256=b62d3afa74b978def5417e71dad33b63bb97c46d69a28a08aef81a01db1aaec0
-- Job supalert-evaluate: every minute, evaluates every enabled rule that is due and writes the heartbeat.
-- pg_cron 1.4 (Debian) has no second schedules, so a minute is the finest step; detection takes at most about a
-- minute plus the rule's window. Scheduling by name updates the job in place, so re-running this file is safe.
select cron.schedule(
    'supalert-evaluate',
    '* * * * *',
    $$select count(*) from monitoring.evaluate()$$
);
-- supalert:end sql/cron/evaluate_rules.sql
