-- 20261206193143_inhibitions: written by `python deploy.py new-migration inhibitions`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- Inhibition (Alertmanager's inhibit_rules, as data): while an alert of source_rule is open, the firings and
-- repeats of target_rule's alerts (of every other rule's, where target_rule is null) are recorded as suppressed
-- instead of sent; equal_labels names the labels both must share. When the source resolves, targets still firing
-- are told then (monitoring.enqueue_notifications).
create table if not exists monitoring.inhibitions (
    id bigint generated always as identity primary key,
    source_rule text not null references monitoring.rules (key) on delete cascade,
    target_rule text references monitoring.rules (key) on delete cascade,
    equal_labels text[] not null default '{}',
    enabled boolean not null default true,
    comment text not null default '',
    constraint inhibitions_not_self check (source_rule is distinct from target_rule),
    constraint inhibitions_one_per_pair unique nulls not distinct (source_rule, target_rule)
);
comment on table monitoring.inhibitions is
'While a source rule''s alert is open, its target rule''s alerts (every rule''s: target null) are not notified.';
alter table monitoring.inhibitions enable row level security;
revoke all on monitoring.inhibitions from anon, authenticated;

-- The seed's pairs: the stronger alert of the same symptom speaks for both, and a monitor that is down (whose
-- other alerts may be wrong or late) speaks for everything.
insert into monitoring.inhibitions (source_rule, target_rule, comment) values
('critical_errors_per_hour', 'high_errors_per_hour', 'the same burst of errors, counted twice'),
('very_slow_response_time_ms', 'slow_response_time_ms', 'the same slow calls, at two thresholds'),
('monitor_down', null, 'while supalert itself is down, its other alerts may be wrong or late')
on conflict on constraint inhibitions_one_per_pair do nothing;

-- The source that kept a notification from being sent; null for every other row. The reference is added not
-- valid: it holds for every row written from now on, and the existing rows are all null (the column is new), so
-- scanning the outbox under a lock that blocks its writers (or validating in this transaction) checks nothing.
alter table monitoring.notifications add column if not exists inhibited_by uuid;
alter table monitoring.notifications add constraint notifications_inhibited_by_alert
foreign key (inhibited_by) references public.system_alerts (id) on delete set null not valid;

-- supalert:source sql/outbox/claim_notifications.sql sha256=260bbfb44f932785b5ced0444e9761405154538c8b376df4e41c2de577bf1686
-- monitoring.claim_notifications(worker, limit, lease, alert id, now): returns the claimed outbox rows
-- (id, channel, event, attempts, idempotency_key, payload, delivered_to). Takes up to p_limit due rows (pending and due, or
-- sending with an expired lease: the dispatcher that claimed them died) with FOR UPDATE SKIP LOCKED, so concurrent
-- dispatchers never get the same row, and leases them to p_worker for p_lease. Rows whose lease expired after
-- their last allowed attempt go dead instead. A due firing or repeat of an inhibited alert
-- (monitoring.inhibiting_alert) is recorded as suppressed, inhibited_by its source, instead of being claimed:
-- decided here rather than when the row was written, so a source that fires in the same evaluation as its
-- target, in either order, still wins. For the dispatcher (edge function, deploy.py, service_role).
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

    update monitoring.notifications as n
       set status = 'suppressed', inhibited_by = i.source, updated_at = p_now
      from (
          select q.id, monitoring.inhibiting_alert(q.alert_id) as source
            from monitoring.notifications as q
           where q.status = 'pending' and q.next_attempt_at <= p_now and q.event in ('firing', 'repeat')
             and (p_alert_id is null or q.alert_id = p_alert_id)
      ) as i
     where n.id = i.id and i.source is not null;

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
-- supalert:end sql/outbox/claim_notifications.sql

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=89a7845b8a8892d4719777508c396cf6e4e83139bf8e4d8bc0eeb58b3627d278
-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written.
-- Writes one monitoring.notifications row per channel that the enabled routes matching the alert choose, in the
-- caller's transaction (the one that changed the alert), so the notification commits or rolls back with it:
--   - a silence matching the alert (rule, severity, labels) at p_now records the rows as suppressed;
--   - a digest route holds them for the daily digest (a test event is always sent at once);
--   - a resolve goes only to channels that were told about the firing, and only on routes with send_resolved;
--   - a notification_dead alert never goes to the channel that is failing;
--   - the resolve of an inhibiting alert tells, with a firing now, every target that is still firing and was
--     told nothing because of it (monitoring.inhibitions; claim_notifications decides inhibition).
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
    v_target uuid;
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
    if p_event = 'resolved' then
        for v_target in
            select distinct n.alert_id
              from monitoring.notifications as n
              join public.system_alerts as t on t.id = n.alert_id
             where n.inhibited_by = p_alert_id and t.status = 'firing'
               and not exists (
                   select from monitoring.notifications as m
                    where m.alert_id = n.alert_id and m.event in ('firing', 'repeat')
                      and m.status in ('pending', 'sending', 'sent', 'held', 'digested')
               )
        loop
            perform monitoring.enqueue_notifications(v_target, 'firing', p_now);
        end loop;
    end if;
    return v_written;
end;
$$;

comment on function monitoring.enqueue_notifications(uuid, text, timestamptz) is
'Writes the outbox rows for one alert event per the routes and silences, in the caller''s transaction. Engine only.';

revoke execute on function monitoring.enqueue_notifications(uuid, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/outbox/enqueue_notifications.sql

-- supalert:source sql/outbox/inhibiting_alert.sql sha256=dad9073aaf77a087748610a8466adf9aec97f6fe10473a220b375eb1fb25bb59
-- monitoring.inhibiting_alert(alert id): returns the open alert that inhibits it now (the oldest), or null. An
-- alert is inhibited while an alert of a rule that monitoring.inhibitions names as its source is open: the
-- target rule itself, or any other rule's alert when target_rule is null (an app's own alerts never are), and
-- the source's labels equal the target's on every name of equal_labels. Engine only (claim_notifications,
-- enqueue_notifications).
create or replace function monitoring.inhibiting_alert(p_alert_id uuid)
returns uuid
language sql
stable
set search_path = ''
as $$
    select s.id
      from public.system_alerts as t
      join monitoring.rules as r on r.key = t.alert_type
      join monitoring.inhibitions as i
        on i.enabled and i.source_rule <> t.alert_type and (i.target_rule is null or i.target_rule = t.alert_type)
      join public.system_alerts as s on s.alert_type = i.source_rule and s.resolved_at is null
     where t.id = p_alert_id
       and not exists (
           select from pg_catalog.unnest(i.equal_labels) as l (name)
            where (s.metadata -> 'labels' ->> l.name) is distinct from (t.metadata -> 'labels' ->> l.name)
       )
     order by s.created_at, s.id
     limit 1
$$;

comment on function monitoring.inhibiting_alert(uuid) is
'The open alert inhibiting this one (monitoring.inhibitions), or null. Engine only.';

revoke execute on function monitoring.inhibiting_alert(uuid) from public, anon, authenticated;
-- supalert:end sql/outbox/inhibiting_alert.sql
