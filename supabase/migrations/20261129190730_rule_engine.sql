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

-- supalert:source sql/functions/apply_observation.sql sha256=45001f310929da7a250e4280d1235270c6f7859c028a65e660dd9accc45c01d2
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

comment on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/functions/apply_observation.sql

-- supalert:source sql/functions/apply_retention.sql sha256=085bd74c85bfa173859f46293e4ec7651bb5b4156e25f734568af16a86122dff
-- monitoring.apply_retention(now, max batches, table): returns the rows deleted. For each enabled row of
-- monitoring.retention_policies (or only p_table), deletes rows whose time column is older than `keep` (and that
-- meet only_where), batch_size rows at a time through the time-column index, at most p_max_batches batches per
-- table, and logs the run in monitoring.retention_runs. Each call is one short transaction with bounded work;
-- the every-10-minutes job catches up on a backlog over several runs instead of holding locks for long.
-- Owner only (pg_cron; public.cleanup_rate_limit_logs).
create or replace function monitoring.apply_retention(
    p_now timestamptz default pg_catalog.now(),
    p_max_batches integer default 20,
    p_table text default null
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_policy monitoring.retention_policies;
    v_deleted bigint;
    v_table_deleted bigint;
    v_batches integer;
    v_total bigint := 0;
begin
    if p_table is not null and not exists (
        select from monitoring.retention_policies as r where r.table_name = p_table
    ) then
        raise exception 'no retention policy for %', p_table
            using errcode = 'no_data_found', hint = 'See select * from monitoring.retention_policies;';
    end if;
    for v_policy in
        select r.* from monitoring.retention_policies as r
         where r.enabled and (p_table is null or r.table_name = p_table)
         order by r.table_name
    loop
        continue when pg_catalog.to_regclass(v_policy.table_name) is null;
        v_table_deleted := 0;
        v_batches := 0;
        loop
            execute pg_catalog.format(
                'delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I < $1 and (%3$s) limit $2))',
                pg_catalog.to_regclass(v_policy.table_name), v_policy.time_column,
                coalesce(v_policy.only_where, 'true')
            ) using p_now - v_policy.keep, v_policy.batch_size;
            get diagnostics v_deleted = row_count;
            v_table_deleted := v_table_deleted + v_deleted;
            v_batches := v_batches + 1;
            exit when v_deleted < v_policy.batch_size or v_batches >= p_max_batches;
        end loop;
        insert into monitoring.retention_runs (table_name, deleted, batches, ran_at)
        values (v_policy.table_name, v_table_deleted, v_batches, p_now);
        v_total := v_total + v_table_deleted;
    end loop;
    return v_total;
end;
$$;

comment on function monitoring.apply_retention(timestamptz, integer, text) is
'Deletes rows past their retention in bounded batches; logs monitoring.retention_runs. Owner only (pg_cron).';

revoke execute on function monitoring.apply_retention(timestamptz, integer, text) from public, anon, authenticated;
-- supalert:end sql/functions/apply_retention.sql

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

-- supalert:source sql/functions/build_digest.sql sha256=92dad42a3001432065efc746f009841b27791408a69dfa853aed537bf1e5cc65
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
    v_ids uuid[];
    v_items jsonb;
    v_count integer;
    v_digest uuid;
    v_written integer := 0;
begin
    -- Two runs at once must not both send a digest.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:digest', 0));
    for v_channel in
        select distinct n.channel from monitoring.notifications as n where n.status = 'held' order by n.channel
    loop
        -- Lock the rows first and build the digest from exactly those, so a row held meanwhile waits for the next.
        select pg_catalog.array_agg(l.id)
          into v_ids
          from (select n.id from monitoring.notifications as n
                 where n.status = 'held' and n.channel = v_channel for update) as l;
        select pg_catalog.jsonb_agg(n.payload order by n.created_at), pg_catalog.count(*)
          into v_items, v_count
          from monitoring.notifications as n
         where n.id = any (v_ids);
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
         where n.id = any (v_ids);
        v_written := v_written + 1;
    end loop;
    return v_written;
end;
$$;

comment on function monitoring.build_digest(timestamptz) is
'Turns held (digest-routed) notifications into one digest notification per channel. Daily job.';

revoke execute on function monitoring.build_digest(timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/build_digest.sql

-- supalert:source sql/functions/check_error_rate_threshold.sql sha256=ccdbe8d051822cc4e9d59fb5235ceeb09a1df9cc42597ce2b42bbc3d53d9c005
-- public.check_error_rate_threshold(): the seed's error check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule critical_errors_per_hour now and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. No time parameter: API callers must not move the clock.
-- Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_error_rate_threshold()
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('critical_errors_per_hour', pg_catalog.now());
end;
$$;

comment on function public.check_error_rate_threshold() is
'Evaluates rule critical_errors_per_hour now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_error_rate_threshold() from public, anon;
grant execute on function public.check_error_rate_threshold() to authenticated, service_role;
-- supalert:end sql/functions/check_error_rate_threshold.sql

-- supalert:source sql/functions/check_performance_degradation.sql sha256=8f11bdfa1b7b0ffc53556ade227debdf04bfb6317088c5f042db029223050a81
-- public.check_performance_degradation(): the seed's response-time check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule slow_response_time_ms now and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. No time parameter: API callers must not move the clock.
-- Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_performance_degradation()
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('slow_response_time_ms', pg_catalog.now());
end;
$$;

comment on function public.check_performance_degradation() is
'Evaluates rule slow_response_time_ms now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_performance_degradation() from public, anon;
grant execute on function public.check_performance_degradation() to authenticated, service_role;
-- supalert:end sql/functions/check_performance_degradation.sql

-- supalert:source sql/functions/check_sms_delivery_failures.sql sha256=96f92e910250e2915a77b80a22c007d809195b4cdbd47831481295e969199da2
-- public.check_sms_delivery_failures(): the seed's SMS failure check, kept under its seed name for DBAs and
-- the dashboard: evaluates rule failed_sms_per_hour now and returns monitoring.evaluate's rows. One alert per
-- incident instead of the seed's row per run. No time parameter: API callers must not move the clock.
-- Admins only (monitoring.evaluate checks the claim).
create or replace function public.check_sms_delivery_failures()
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('failed_sms_per_hour', pg_catalog.now());
end;
$$;

comment on function public.check_sms_delivery_failures() is
'Evaluates rule failed_sms_per_hour now and returns the result (the seed''s function name). Admins only.';

revoke execute on function public.check_sms_delivery_failures() from public, anon;
grant execute on function public.check_sms_delivery_failures() to authenticated, service_role;
-- supalert:end sql/functions/check_sms_delivery_failures.sql

-- supalert:source sql/functions/claim_notifications.sql sha256=4639fe88f2275b4d13d6e2e87094de903ab5813a4f971f4ca239d92262c6fafa
-- monitoring.claim_notifications(worker, limit, lease, alert id, now): returns the claimed outbox rows
-- (id, channel, event, attempts, idempotency_key, payload, delivered_to). Takes up to p_limit due rows (pending and due, or
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
returns table (
    id uuid, channel text, event text, attempts integer, idempotency_key text, payload jsonb, delivered_to text[]
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_expired uuid;
begin
    perform monitoring.require_admin();
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
    returning n.id, n.channel, n.event, n.attempts, n.idempotency_key, n.payload, n.delivered_to;
end;
$$;

comment on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) is
'Claims due outbox rows with FOR UPDATE SKIP LOCKED and a lease. For dispatchers.';

revoke execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) to service_role;
-- supalert:end sql/functions/claim_notifications.sql

-- supalert:source sql/functions/cleanup_rate_limit_logs.sql sha256=e5be42da922eefa0f99d771a77ffa6aa2e6d3505b8b88b36216053e746057419
-- public.cleanup_rate_limit_logs(): returns the rows deleted. The seed's daily 02:00 job, kept under its name:
-- deletes public.rate_limit_log rows past their retention (monitoring.retention_policies, default 7 days) in
-- bounded batches. Owner and service_role only.
create or replace function public.cleanup_rate_limit_logs()
returns bigint
language sql
set search_path = ''
as $$
    select monitoring.apply_retention(pg_catalog.now(), 1000, 'public.rate_limit_log')
$$;

comment on function public.cleanup_rate_limit_logs() is
'Deletes rate_limit_log rows past their retention in batches (the seed''s daily job). Not for API users.';

revoke execute on function public.cleanup_rate_limit_logs() from public, anon, authenticated;
grant execute on function public.cleanup_rate_limit_logs() to service_role;
-- supalert:end sql/functions/cleanup_rate_limit_logs.sql

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

-- supalert:source sql/functions/get_system_health.sql sha256=fac76ec60f7e7542a8102902280933b9249c45e620f2cc532bbb10e0a4c1f3c9
-- public.get_system_health(now): the system-health document (see monitoring.system_health) in one round trip, for
-- the dashboard (`supabase.rpc('get_system_health')`). Admins only; runs as the caller, and
-- monitoring.system_health checks the admin claim.
create or replace function public.get_system_health(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
    return monitoring.system_health(p_now);
end;
$$;

comment on function public.get_system_health(timestamptz) is
'Dashboard: errors, latency per edge function, users, limits, open alerts, evaluation age, outbox. Admins only.';

revoke execute on function public.get_system_health(timestamptz) from public, anon;
grant execute on function public.get_system_health(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/get_system_health.sql

-- supalert:source sql/functions/is_admin.sql sha256=4c07fd8ce5e1203e611f00da41c2fe393a90dc42018f6246d2fe6151f03d17cb
-- monitoring.is_admin(): true when the caller's JWT carries an admin role in app_metadata.
-- Admin roles are data (monitoring.settings.admin_roles, default {admin}); app_metadata is used because users
-- cannot edit it (user_metadata they can). Called by RLS policies and admin RPCs as `authenticated`;
-- security definer only to read monitoring.settings, which no API role can read directly.
create or replace function monitoring.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select coalesce(
        (select (select auth.jwt() -> 'app_metadata' ->> 'role') = any (s.admin_roles)
           from monitoring.settings as s),
        false
    )
$$;

comment on function monitoring.is_admin() is
'True when auth.jwt() app_metadata.role is one of monitoring.settings.admin_roles. For RLS policies and admin RPCs.';

revoke execute on function monitoring.is_admin() from public, anon;
grant execute on function monitoring.is_admin() to authenticated, service_role;
-- supalert:end sql/functions/is_admin.sql

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

-- supalert:source sql/functions/record_delivery.sql sha256=94719ffd57a7e33f81fcca34913f8b74bc4579fd46e6d5dfa375e8ff733b70fb
-- monitoring.record_delivery(id, outcome, status code, error, retry-after seconds, provider id, now): returns the
-- row's new status (sent, pending or dead). Outcomes: 'sent'; 'retry' (5xx, 429, timeout): due again after an
-- exponential backoff (30 s, 1, 2, 4 ... min, at most 1 h) or the provider's Retry-After, whichever is later,
-- and dead after max_attempts; 'permanent' (a 4xx that will not change): dead at once. A dead notification
-- opens (or bumps) a notification_dead alert for its channel, which is routed away from that channel; a sent one
-- resolves that alert. Recording 'sent' twice is harmless; with p_worker, a failure reported by a dispatcher that
-- no longer holds the lease is ignored. p_delivered names the recipients this attempt reached (kept in
-- delivered_to, so a retry skips them). For the dispatcher.
create or replace function monitoring.record_delivery(
    p_id uuid,
    p_outcome text,
    p_status_code integer default null,
    p_error text default null,
    p_retry_after_seconds integer default null,
    p_provider_id text default null,
    p_now timestamptz default pg_catalog.now(),
    p_worker text default null,
    p_delivered text[] default null
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_row monitoring.notifications;
    v_status text;
    v_dead_rule monitoring.rules;
    v_dead_labels jsonb;
    v_alert_type text;
begin
    perform monitoring.require_admin();
    if p_outcome not in ('sent', 'retry', 'permanent') then
        raise exception 'outcome must be sent, retry or permanent, not %', pg_catalog.quote_literal(p_outcome)
            using errcode = 'invalid_parameter_value';
    end if;
    select n.* into v_row from monitoring.notifications as n where n.id = p_id for update;
    if not found then
        raise exception 'notification % not found', p_id using errcode = 'no_data_found';
    end if;
    -- A dispatcher whose lease expired and passed to another may report late: its failure must not undo the
    -- newer holder's work (a delivery, though, always counts).
    if p_worker is not null and v_row.status = 'sending' and v_row.claimed_by is distinct from p_worker
       and p_outcome <> 'sent' then
        return v_row.status;
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
           delivered_to = array(
               select distinct d.r from pg_catalog.unnest(n.delivered_to || coalesce(p_delivered, '{}')) as d (r)
                order by d.r),
           sent_at = case when v_status = 'sent' then p_now end,
           next_attempt_at = case
               -- The later of the provider's Retry-After and our own backoff (exponent capped: 30 s * 2^7 > 1 h),
               -- so a burst of 429s with short Retry-After values cannot use up the attempts in seconds.
               when v_status = 'pending' then p_now + greatest(
                   pg_catalog.make_interval(secs => coalesce(p_retry_after_seconds, 0)),
                   least(interval '30 seconds' * (2 ^ least(greatest(v_row.attempts - 1, 0), 7)), interval '1 hour'))
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

comment on function monitoring.record_delivery(uuid, text, integer, text, integer, text, timestamptz, text, text[]) is
'Records a delivery attempt: sent, retry later (backoff or Retry-After), or dead (raises notification_dead).';

revoke execute on function monitoring.record_delivery(
    uuid, text, integer, text, integer, text, timestamptz, text, text[]
)
from public, anon, authenticated;
grant execute on function monitoring.record_delivery(
    uuid, text, integer, text, integer, text, timestamptz, text, text[]
)
to service_role;
-- supalert:end sql/functions/record_delivery.sql

-- supalert:source sql/functions/release_notifications.sql sha256=35206cd6f7fdd4884018a87d792f3fcb7963b277f004cb2c2b2e661a27c9407e
-- monitoring.release_notifications(worker, ids): returns the rows released. Hands back rows p_worker claimed but
-- will not send (its time budget ran out): pending again at once, the attempt not counted, the lease cleared, so the
-- next dispatcher need not wait for the lease to expire. Rows another worker holds are left alone. For dispatchers.
create or replace function monitoring.release_notifications(p_worker text, p_ids uuid[])
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_released integer;
begin
    perform monitoring.require_admin();
    update monitoring.notifications as n
       set status = 'pending',
           attempts = greatest(n.attempts - 1, 0),
           lease_until = null,
           claimed_by = null,
           updated_at = pg_catalog.now()
     where n.id = any (p_ids) and n.status = 'sending' and n.claimed_by = p_worker;
    get diagnostics v_released = row_count;
    return v_released;
end;
$$;

comment on function monitoring.release_notifications(text, uuid[]) is
'Returns claimed-but-unsent rows to pending without counting the attempt. For dispatchers.';

revoke execute on function monitoring.release_notifications(text, uuid[]) from public, anon, authenticated;
grant execute on function monitoring.release_notifications(text, uuid[]) to service_role;
-- supalert:end sql/functions/release_notifications.sql

-- supalert:source sql/functions/require_admin.sql sha256=26dcb24d768a0206343d0a2a729fadc02e898d71ff0d6ed00aa4e0735ef28c19
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
    -- coalesce: a missing settings row must mean "not an admin", never let a NULL through.
    if pg_catalog.current_setting('role') in ('anon', 'authenticated')
       and not coalesce(monitoring.is_admin(), false) then
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

-- supalert:source sql/functions/resolve_alert.sql sha256=561462e58c389781c4983852ba019738b7bd9e1cadbe8bc484e8984acbd29838
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
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
        'supalert:rule:' || (select a.alert_type from public.system_alerts as a where a.id = p_alert_id), 0));
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

-- supalert:source sql/functions/system_health.sql sha256=4f08d225475e3d61e920b7859d63021853e8a93af6d9ac184f5bd5a09de541fd
-- monitoring.system_health(now): one jsonb document for the dashboard's system-health page: errors in the last
-- hour (and per minute), p50/p95 per edge function, active users, database size and function calls against the
-- plan's limits, open alerts by severity, the last evaluation's age, the notification backlog and dead count.
-- Admins only (security definer to read supalert's private tables); called through public.get_system_health().
create or replace function monitoring.system_health(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_settings monitoring.settings;
    v_result jsonb;
begin
    perform monitoring.require_admin();
    select s.* into v_settings from monitoring.settings as s;
    select pg_catalog.jsonb_build_object(
        'generated_at', p_now,
        'errors', (
            select pg_catalog.jsonb_build_object(
                'last_hour', pg_catalog.count(*),
                'per_minute', pg_catalog.round(pg_catalog.count(*) / 60.0, 3),
                'by_severity', coalesce(
                    (select pg_catalog.jsonb_object_agg(x.severity, x.n)
                       from (select e2.severity, pg_catalog.count(*) as n from public.error_logs as e2
                              where e2.occurred_at > p_now - interval '1 hour' and e2.occurred_at <= p_now
                              group by e2.severity) as x),
                    '{}'::jsonb)
            )
              from public.error_logs as e
             where e.occurred_at > p_now - interval '1 hour' and e.occurred_at <= p_now
        ),
        'edge_functions', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'name', f.metric_name, 'calls', f.calls, 'p50_ms', f.p50, 'p95_ms', f.p95) order by f.metric_name)
              from (
                  select m.metric_name, pg_catalog.count(*) as calls,
                         pg_catalog.round((pg_catalog.percentile_cont(0.5) within group (order by m.duration_ms))::numeric, 1) as p50,
                         pg_catalog.round((pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric, 1) as p95
                    from public.performance_metrics as m
                   where m.metric_type = 'edge_function'
                     and m.recorded_at > p_now - interval '1 hour' and m.recorded_at <= p_now
                   group by m.metric_name
              ) as f
        ), '[]'::jsonb),
        'active_users_15m', (
            select pg_catalog.count(distinct u.user_id) from public.user_sessions as u
             where u.last_active_at > p_now - interval '15 minutes' and u.last_active_at <= p_now
        ),
        'database', pg_catalog.jsonb_build_object(
            'size_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()),
            'size_gb', pg_catalog.round(pg_catalog.pg_database_size(pg_catalog.current_database()) / 1073741824.0, 3),
            'limit_gb', v_settings.plan_database_gb
        ),
        'function_calls_today', pg_catalog.jsonb_build_object(
            'count', (
                select pg_catalog.count(*) from public.performance_metrics as m
                 where m.metric_type = 'edge_function'
                   and m.recorded_at >= pg_catalog.date_trunc('day', p_now, 'UTC') and m.recorded_at <= p_now
            ),
            'limit', v_settings.plan_function_calls_per_day
        ),
        'open_alerts', pg_catalog.jsonb_build_object(
            'critical', (select pg_catalog.count(*) from public.system_alerts as a
                          where a.resolved_at is null and a.severity = 'critical'),
            'high', (select pg_catalog.count(*) from public.system_alerts as a
                      where a.resolved_at is null and a.severity = 'high'),
            'warning', (select pg_catalog.count(*) from public.system_alerts as a
                         where a.resolved_at is null and a.severity = 'warning'),
            'info', (select pg_catalog.count(*) from public.system_alerts as a
                      where a.resolved_at is null and a.severity = 'info')
        ),
        'last_evaluation', (
            select pg_catalog.jsonb_build_object(
                'at', h.last_evaluated_at,
                'age_seconds', pg_catalog.round(extract(epoch from p_now - h.completed_at)::numeric, 1),
                'rules_evaluated', h.rules_evaluated,
                'rules_failed', h.rules_failed)
              from monitoring.heartbeat as h
        ),
        'notifications', pg_catalog.jsonb_build_object(
            'backlog', (select pg_catalog.count(*) from monitoring.notifications as n
                         where n.status in ('pending', 'sending')),
            'dead', (select pg_catalog.count(*) from monitoring.notifications as n where n.status = 'dead')
        )
    ) into v_result;
    return v_result;
end;
$$;

comment on function monitoring.system_health(timestamptz) is
'The system-health document for the dashboard (errors, latency, users, limits, alerts, evaluation, outbox). Admins.';

revoke execute on function monitoring.system_health(timestamptz) from public, anon;
grant execute on function monitoring.system_health(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/system_health.sql

-- supalert:source sql/functions/verify_latest_backup.sql sha256=60a851f2d2bf092398e4bbc5935f3033ccc20d28998c225e48a1d5232bf952d4
-- monitoring.verify_latest_backup(now): evaluate's rows for the backup_stale rule. The seed's weekly (Sunday 01:00)
-- check, kept under its name: alerts when the newest verified backup in monitoring.backup_log is older than the
-- rule's threshold (hours), with WAL archiving status in the detail. Admins, service_role and database logins.
create or replace function monitoring.verify_latest_backup(p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('backup_stale', p_now);
end;
$$;

comment on function monitoring.verify_latest_backup(timestamptz) is
'Evaluates backup_stale now: alert when the newest verified backup is too old (the seed''s weekly check).';

revoke execute on function monitoring.verify_latest_backup(timestamptz) from public, anon;
grant execute on function monitoring.verify_latest_backup(timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/verify_latest_backup.sql

-- supalert:source sql/rules/metric_active_users.sql sha256=b0175ddb86598e97e5fb11c720637d3b78f8d7e191058497302f19706dcc21ec
-- monitoring.metric_active_users(rule, now): distinct users in public.user_sessions whose last_active_at falls in
-- the window (15 minutes for the seed's concurrent_users_threshold). Zero users is a value; an empty table is no
-- data. Metric interface; called by monitoring.evaluate only.
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
        not exists (select from public.user_sessions)
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

-- supalert:source sql/rules/metric_backup_age_hours.sql sha256=ce3348bc0c7601358941fa1eb2b4973cd2ef2e79b77a9fb61d35106f12893610
-- monitoring.metric_backup_age_hours(rule, now): hours since the newest verified backup in monitoring.backup_log
-- finished. No verified backup recorded is no data. The detail carries WAL archiving as far as SQL sees it
-- (pg_stat_archiver: archived and failed counts, last failure). Metric interface; called by monitoring.evaluate.
create or replace function monitoring.metric_backup_age_hours(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    with newest as (
        select b.finished_at, b.kind, b.location
          from monitoring.backup_log as b
         where b.verified and b.finished_at <= p_now
         order by b.finished_at desc
         limit 1
    )
    select
        pg_catalog.round((extract(epoch from p_now - n.finished_at) / 3600)::numeric, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'newest_backup_at', n.finished_at,
            'kind', n.kind,
            'location', n.location,
            'wal_archived_count', a.archived_count,
            'wal_failed_count', a.failed_count,
            'wal_last_failed_at', a.last_failed_time,
            'rule', p_rule.key,
            'summary', case when n.finished_at is null
                then 'no verified backup recorded (python deploy.py backups record)'
                else pg_catalog.format('newest verified %s backup finished %s hour(s) ago', n.kind,
                    pg_catalog.round((extract(epoch from p_now - n.finished_at) / 3600)::numeric, 1))
            end
        ),
        n.finished_at is null
      from pg_catalog.pg_stat_archiver as a
      left join newest as n on true
$$;

comment on function monitoring.metric_backup_age_hours(monitoring.rules, timestamptz) is
'Metric: hours since the newest verified backup_log row; none is no data. Detail: pg_stat_archiver.';

revoke execute on function monitoring.metric_backup_age_hours(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_backup_age_hours.sql

-- supalert:source sql/rules/metric_client_credit.sql sha256=0ef1d0794de295cfef049f89aae2326ec060546b1e7c3cd88f756aafa1d3b566
-- monitoring.metric_client_credit(rule, now): one series per client in public.client_credits, value = its balance,
-- labels {client_id}, so each client gets its own alert (one per fingerprint). An empty table is one no-data row.
-- Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_client_credit(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.balance,
        pg_catalog.jsonb_build_object('client_id', c.client_id),
        pg_catalog.jsonb_build_object(
            'client_name', c.client_name,
            'balance_updated_at', c.updated_at,
            'summary', pg_catalog.format('client %s has a credit balance of %s',
                coalesce(c.client_name, c.client_id::text), c.balance)
        ),
        false
      from public.client_credits as c
     where c.updated_at <= p_now
    union all
    select null, '{}'::jsonb,
           pg_catalog.jsonb_build_object('summary', 'no client credits recorded', 'rule', p_rule.key), true
     where not exists (select from public.client_credits)
$$;

comment on function monitoring.metric_client_credit(monitoring.rules, timestamptz) is
'Metric: per-client balance from client_credits (labels client_id); an empty table is no data.';

revoke execute on function monitoring.metric_client_credit(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_client_credit.sql

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

-- supalert:source sql/rules/metric_error_count.sql sha256=592adfedc0adcbe4dc1e2650e96ff83b26ddd9f3076db5163c1ba1ccb63e330f
-- monitoring.metric_error_count(rule, now): the number of public.error_logs rows in the rule's window whose
-- severity is in params.severities (default high and critical, as the seed's check_error_rate_threshold counted).
-- One series; zero errors in the window is a value, but a table that has never had a row is no data (nothing
-- is logging). Metric interface; called by monitoring.evaluate only.
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
        not exists (select from public.error_logs)
      from counted as c, wanted as w
$$;

comment on function monitoring.metric_error_count(monitoring.rules, timestamptz) is
'Metric: error_logs rows in the window with severity in params.severities (default critical, high).';

revoke execute on function monitoring.metric_error_count(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_error_count.sql

-- supalert:source sql/rules/metric_error_rate_percentage.sql sha256=befe5a1e0827fa05b3fa159e5501dfd7a64dad0edffab55c0b04ce3acaa91212
-- monitoring.metric_error_rate_percentage(rule, now): errors per 100 requests in the window. Errors: public.error_logs
-- rows in the window (all severities, or params.severities). Requests: public.performance_metrics rows with
-- metric_type 'edge_function' in the window, since every edge function logs one timing per call (the seed's
-- "Edge Function Performance" snippet). No requests in the window is no data. Metric interface; evaluate only.
create or replace function monitoring.metric_error_rate_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    with wanted as (
        select (select pg_catalog.array_agg(x.severity)
                  from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as x (severity))
               as severities
    ),
    counted as (
        select
            (select pg_catalog.count(*)
               from public.error_logs as e, wanted as w
              where e.occurred_at > p_now - p_rule.time_window and e.occurred_at <= p_now
                and (w.severities is null or e.severity = any (w.severities))) as errors,
            (select pg_catalog.count(*)
               from public.performance_metrics as m
              where m.metric_type = 'edge_function'
                and m.recorded_at > p_now - p_rule.time_window and m.recorded_at <= p_now) as requests
    )
    select
        case when c.requests > 0 then pg_catalog.round(c.errors * 100.0 / c.requests, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'errors', c.errors,
            'requests', c.requests,
            'summary', case when c.requests = 0
                then pg_catalog.format('no requests in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s error(s) in %s request(s) (%s%%) in the last %s', c.errors, c.requests,
                    pg_catalog.round(c.errors * 100.0 / c.requests, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        c.requests = 0
      from counted as c
$$;

comment on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz) is
'Metric: error_logs rows per 100 edge_function requests (performance_metrics) in the window; no requests, no data.';

revoke execute on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_error_rate_percentage.sql

-- supalert:source sql/rules/metric_failed_emails.sql sha256=d42e97fc65ad14e1e9b5cf07589399ac042a7938a15ba4e5b7f314cd03184558
-- monitoring.metric_failed_emails(rule, now): public.email_delivery_log rows in the window whose delivery_status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_emails(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'summary', pg_catalog.format(
                '%s email(s) failed in the last %s', c.failed, monitoring.describe_interval(p_rule.time_window))
        ),
        not exists (select from public.email_delivery_log)
      from (
          select pg_catalog.count(*) as failed
            from public.email_delivery_log as e
           where e.delivery_status = 'failed'
             and e.created_at > p_now - p_rule.time_window and e.created_at <= p_now
      ) as c
$$;

comment on function monitoring.metric_failed_emails(monitoring.rules, timestamptz) is
'Metric: failed rows of email_delivery_log in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_emails(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_failed_emails.sql

-- supalert:source sql/rules/metric_failed_gift_cards.sql sha256=73fd92c19a05beff5eca431068c83477ffeba0e57a4b4584c7286f5912f38306
-- monitoring.metric_failed_gift_cards(rule, now): public.gift_card_provisions rows in the window whose status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_gift_cards(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'summary', pg_catalog.format('%s gift-card provision(s) failed in the last %s', c.failed,
                monitoring.describe_interval(p_rule.time_window))
        ),
        not exists (select from public.gift_card_provisions)
      from (
          select pg_catalog.count(*) as failed
            from public.gift_card_provisions as g
           where g.status = 'failed'
             and g.created_at > p_now - p_rule.time_window and g.created_at <= p_now
      ) as c
$$;

comment on function monitoring.metric_failed_gift_cards(monitoring.rules, timestamptz) is
'Metric: failed rows of gift_card_provisions in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_gift_cards(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_failed_gift_cards.sql

-- supalert:source sql/rules/metric_function_calls_today.sql sha256=4a84c37fd5369f6c1c5fd036ae22513c569a7fa95d254a8aacdc4eca5d543432
-- monitoring.metric_function_calls_today(rule, now): edge-function calls since midnight UTC of p_now's day, counted
-- as public.performance_metrics rows with metric_type 'edge_function' (one per call). Plan quotas reset daily, so
-- the window is the calendar day, not a sliding 24 hours. An empty table is no data. Metric interface.
create or replace function monitoring.metric_function_calls_today(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    select
        c.calls::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'calls', c.calls,
            'day', c.day_start::date,
            'rule', p_rule.key,
            'summary', pg_catalog.format('%s edge-function call(s) so far on %s (UTC)', c.calls, c.day_start::date)
        ),
        not exists (select from public.performance_metrics)
      from (
          select d.day_start,
                 (select pg_catalog.count(*)
                    from public.performance_metrics as m
                   where m.metric_type = 'edge_function'
                     and m.recorded_at >= d.day_start and m.recorded_at <= p_now) as calls
            from (select pg_catalog.date_trunc('day', p_now, 'UTC') as day_start) as d
      ) as c
$$;

comment on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz) is
'Metric: edge_function rows of performance_metrics since midnight UTC; an empty table is no data.';

revoke execute on function monitoring.metric_function_calls_today(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_function_calls_today.sql

-- supalert:source sql/rules/metric_sms_failure_percentage.sql sha256=e2b4121f81120fe953c0f9749b90615c35e6b69c5aba322867c791b71bf48a42
-- monitoring.metric_sms_failure_percentage(rule, now): the percentage of public.sms_delivery_log rows in the window
-- whose delivery_status is in params.statuses (default failed: the seed's check_sms_delivery_failures; the
-- sms_bounce_rate rule counts undelivered and bounced). No SMS in the window is no data (the seed skipped the
-- check). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_sms_failure_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    with wanted as (
        select coalesce(
            (select pg_catalog.array_agg(x.status order by x.status)
               from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'statuses') as x (status)),
            array['failed']
        ) as statuses
    ),
    counted as (
        select pg_catalog.count(*) filter (where s.delivery_status = any (w.statuses)) as failed,
               pg_catalog.count(*) as total
          from public.sms_delivery_log as s, wanted as w
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
                else pg_catalog.format('%s of %s SMS %s (%s%%) in the last %s',
                    c.failed, c.total, (select pg_catalog.array_to_string(w.statuses, '/') from wanted as w),
                    pg_catalog.round(c.failed * 100.0 / c.total, 2), monitoring.describe_interval(p_rule.time_window))
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

-- supalert:source sql/rules/metric_usage_sample.sql sha256=b0581748e4ba2443a21e483ada549da68f010e57af1f046cd24018a7630def42
-- monitoring.metric_usage_sample(rule, now): the newest monitoring.usage_samples value of params.metric (e.g.
-- bandwidth_gb_month) sampled no later than p_now. No sample, or one older than params.max_age (default 2 days), is
-- no data: a stale reading says nothing about today. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_usage_sample(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language sql
stable
set search_path = ''
as $$
    with wanted as (
        select p_rule.params ->> 'metric' as metric,
               coalesce((p_rule.params ->> 'max_age')::interval, interval '2 days') as max_age
    ),
    newest as (
        select s.value, s.sampled_at
          from monitoring.usage_samples as s, wanted as w
         where s.metric = w.metric and s.sampled_at <= p_now
         order by s.sampled_at desc
         limit 1
    )
    select
        case when n.sampled_at > p_now - w.max_age then n.value end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'metric', w.metric,
            'sampled_at', n.sampled_at,
            'summary', case
                when n.sampled_at is null then pg_catalog.format('no %s sample recorded', w.metric)
                when n.sampled_at <= p_now - w.max_age then pg_catalog.format(
                    'newest %s sample is stale (%s)', w.metric, n.sampled_at)
                else pg_catalog.format('%s = %s (sampled %s)', w.metric, n.value, n.sampled_at)
            end
        ),
        n.sampled_at is null or n.sampled_at <= p_now - w.max_age
      from wanted as w
      left join newest as n on true
$$;

comment on function monitoring.metric_usage_sample(monitoring.rules, timestamptz) is
'Metric: newest usage_samples value of params.metric; none or stale (params.max_age) is no data.';

revoke execute on function monitoring.metric_usage_sample(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/rules/metric_usage_sample.sql

-- supalert:source sql/cron/cleanup_rate_limits.sql sha256=397aa56d7a68c57b63a4a02c06ce5696219103d59653e26b7b2590dcb97b9f84
-- Job supalert-cleanup-rate-limits: the seed's daily 02:00 UTC cleanup of public.rate_limit_log.
select cron.schedule(
    'supalert-cleanup-rate-limits',
    '0 2 * * *',
    $$select public.cleanup_rate_limit_logs()$$
);
-- supalert:end sql/cron/cleanup_rate_limits.sql

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

-- supalert:source sql/cron/retention.sql sha256=6e7c5e391c0c87aaabd1f1074cfe163d69c1f6b19af14d0e5ae0180965a11ba0
-- Job supalert-retention: every 10 minutes, deletes rows past their retention (monitoring.retention_policies) in
-- bounded batches, one short transaction per run. Scheduling by name updates the job in place.
select cron.schedule(
    'supalert-retention',
    '*/10 * * * *',
    $$select monitoring.apply_retention()$$
);
-- supalert:end sql/cron/retention.sql

-- supalert:source sql/cron/verify_backup.sql sha256=7882b42ee880d8d906565e3047ed6409f1e595ef1cea5707540e2f6ff8e1415e
-- Job supalert-verify-backup: the seed's weekly check, Sunday 01:00 UTC: alert (backup_stale) when the newest
-- verified backup recorded in monitoring.backup_log is older than the rule's threshold.
select cron.schedule(
    'supalert-verify-backup',
    '0 1 * * 0',
    $$select count(*) from monitoring.verify_latest_backup()$$
);
-- supalert:end sql/cron/verify_backup.sql
