-- 20261207004539_escalation: written by `python deploy.py new-migration escalation`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- supalert:source sql/engine/evaluate.sql sha256=89bd783aff419534107d5d188508419bd7249918b0a3c6201507df9861874bd8
-- monitoring.evaluate(rule default null, now default now()): one row per series evaluated
-- (rule, labels, value, threshold, state, alert_id, summary), so a DBA sees the answer in psql.
-- With no rule: every enabled rule that is due (its evaluation_interval has passed since its last run), then the
-- escalations (monitoring.escalate), then the heartbeat. With a rule key: that rule now, due or not (a disabled
-- rule is reported, not evaluated).
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
-- The rules' queries are small, but a plan over many partitions (a generic one, or a no-data look at the whole
-- table) can be estimated past jit_above_cost: compiling it would cost about 100 ms a call for nothing.
set jit = off
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_rule monitoring.rules;
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
    -- Closed hours of today's edge-function calls, so the daily quota rule reads only the open ones.
    perform monitoring.rollup_function_calls(p_now);

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
        perform monitoring.lock_rule(v_rule.key);
        -- Re-checked under the lock: a run that waited for another sees its work and skips a rule not yet due.
        continue when p_rule is null and exists (
            select from monitoring.rule_runs as rr
             where rr.rule_key = v_rule.key
               and rr.evaluated_at <= p_now
               -- Slack (10 s, or a sixth of a shorter interval): pg_cron starts a job a little early or late
               and rr.evaluated_at > p_now - v_rule.evaluation_interval
                   + least(interval '10 seconds', v_rule.evaluation_interval / 6)
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
            -- Under v_rule's lock, which the rule_error series of this rule belongs to (p_lock => false).
            v_error_alert := monitoring.observe_engine_rule(
                'rule_error',
                pg_catalog.jsonb_build_object('rule', v_rule.key),
                true,
                pg_catalog.jsonb_build_object(
                    'summary', pg_catalog.format('rule %s failed: %s', v_rule.key, v_message), 'sqlstate', v_sqlstate),
                p_now,
                p_lock => false
            );
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
        perform monitoring.escalate(p_now);
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
-- supalert:end sql/engine/evaluate.sql

-- supalert:source sql/outbox/claim_notifications.sql sha256=37cf53367630c1bff01b47da12d9cc4f5aa91d3b3c83bc50075ff88a5376a74c
-- monitoring.claim_notifications(worker, limit, lease, alert id, now): returns the claimed outbox rows
-- (id, channel, event, attempts, idempotency_key, payload, delivered_to) in the order they are to be sent. Takes up
-- to p_limit due pending rows with FOR UPDATE SKIP LOCKED, so concurrent dispatchers never get the same row, and
-- leases them to p_worker for p_lease. A dispatcher sends its batch in order, so when a lease expires (the
-- dispatcher died) only the first row of that batch still sending can have been attempted: it keeps its attempt
-- and goes to the back of the queue (dead if that was its last), and the rows after it were never tried and are
-- handed back with their attempt not counted, so a dispatcher that crashes over and over costs one attempt per
-- crash, not one per row it held. A due firing, repeat or escalation of an inhibited alert (monitoring.inhibiting_alert) is
-- recorded as suppressed, inhibited_by its source, instead of being claimed: decided here rather than when the
-- row was written, so a source that fires in the same evaluation as its target, in either order, still wins.
-- For the dispatcher (edge function, deploy.py, service_role).
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
    with expired as (
        select n.id, n.attempts, n.max_attempts,
               -- A row claimed before claim_position existed has none: counted as attempted, as it always was.
               coalesce(
                   n.claim_position = min(n.claim_position) over (partition by n.claimed_by, n.lease_until), true
               ) as in_flight
          from monitoring.notifications as n
         where n.status = 'sending' and n.lease_until < p_now
           and (p_alert_id is null or n.alert_id = p_alert_id)
    ),
    lockable as (
        select n.id from monitoring.notifications as n
         where n.id in (select e.id from expired as e)
           for update skip locked
    )
    update monitoring.notifications as n
       set status = 'pending',
           attempts = case when e.in_flight then n.attempts else greatest(n.attempts - 1, 0) end,
           next_attempt_at = case when e.in_flight then p_now else n.next_attempt_at end,
           lease_until = null,
           claimed_by = null,
           claim_position = null,
           updated_at = p_now
      from expired as e
     where n.id = e.id and n.id in (select l.id from lockable as l)
       and not (e.in_flight and e.attempts >= e.max_attempts);

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
           where q.status = 'pending' and q.next_attempt_at <= p_now and q.event in ('firing', 'repeat', 'escalation')
             and (p_alert_id is null or q.alert_id = p_alert_id)
      ) as i
     where n.id = i.id and i.source is not null;

    return query
    with due as (
        select n.id, n.next_attempt_at, n.created_at
          from monitoring.notifications as n
         where n.status = 'pending' and n.next_attempt_at <= p_now
           and (p_alert_id is null or n.alert_id = p_alert_id)
         order by n.next_attempt_at, n.created_at, n.id
         limit greatest(p_limit, 0)
           for update skip locked
    ),
    ranked as (
        select d.id, pg_catalog.row_number() over (order by d.next_attempt_at, d.created_at, d.id) as claim_order
          from due as d
    ),
    claimed as (
        update monitoring.notifications as n
           set status = 'sending',
               attempts = n.attempts + 1,
               lease_until = p_now + p_lease,
               claimed_by = p_worker,
               claim_position = r.claim_order,
               updated_at = p_now
          from ranked as r
         where n.id = r.id
        returning n.id, n.channel, n.event, n.attempts, n.idempotency_key, n.payload, n.delivered_to,
                  n.claim_position
    )
    select c.id, c.channel, c.event, c.attempts, c.idempotency_key, c.payload, c.delivered_to
      from claimed as c
     order by c.claim_position;
end;
$$;

comment on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) is
'Claims due outbox rows with FOR UPDATE SKIP LOCKED and a lease. For dispatchers.';

revoke execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) to service_role;
-- supalert:end sql/outbox/claim_notifications.sql

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=eb6d601e74b2930d06fcb3e2174476eb7900aac05d9e064b8ecbff3540f8d1d6
-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written.
-- Writes one monitoring.notifications row per channel that the enabled routes matching the alert choose, in the
-- caller's transaction (the one that changed the alert), so the notification commits or rolls back with it. A
-- route matches on alert type (its rule's, monitoring.alert_types), severity, rule and labels; a route marked
-- untyped_only (the seeded severity routes) serves only alerts without a type, such as an app's own:
--   - a silence matching the alert (rule, severity, labels) at p_now records the rows as suppressed;
--   - a digest route holds them for the daily digest (a test event is always sent at once);
--   - an escalation goes to the channels and recipients of the alert's current step (monitoring.escalate) instead
--     of the routes';
--   - a resolve goes only to channels that were told about the firing, on routes with send_resolved, and to
--     every channel and recipient an escalation paged (payload.recipients; '*' stands for the channel's own);
--   - a notification_dead alert never goes to the channel that is failing;
--   - the resolve of an inhibiting alert tells, with a firing now, every target that is still firing and was
--     told nothing because of it (monitoring.inhibitions; claim_notifications decides inhibition).
-- Engine only (apply_observation, resolve_alert, notify, escalate).
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
    v_type text;
    v_recipients text[];
begin
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id;
    if not found then
        raise exception 'alert % not found', p_alert_id using errcode = 'no_data_found';
    end if;
    v_labels := coalesce(v_alert.metadata -> 'labels', '{}'::jsonb);
    select r.alert_type into v_type from monitoring.rules as r where r.key = v_alert.alert_type;

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
    if p_event = 'escalation' then
        v_payload := v_payload || pg_catalog.jsonb_build_object('escalation_step', v_alert.escalation_step);
    end if;

    for v_channel, v_digest, v_recipients in
        with routed as (
            select c.channel, pg_catalog.bool_and(r.digest) as digest
              from monitoring.routes as r
             cross join lateral pg_catalog.unnest(r.channels) as c (channel)
             where r.enabled
               and p_event <> 'escalation'
               and (r.alert_type is null or r.alert_type = v_type)
               and not (r.untyped_only and v_type is not null)
               and (r.severity is null or r.severity = v_alert.severity)
               and (r.rule_key is null or r.rule_key = v_alert.alert_type)
               and v_labels @> r.labels
               and (p_event <> 'resolved' or r.send_resolved)
             group by c.channel
        ),

        stepped as (
            select distinct c.channel, s.recipients
              from monitoring.escalation_steps as s
             cross join lateral pg_catalog.unnest(s.channels) as c (channel)
             where p_event = 'escalation' and s.alert_type = v_type and s.step = v_alert.escalation_step
        ),

        paged as (
            select distinct n.channel
              from monitoring.notifications as n
             where p_event = 'resolved' and n.alert_id = p_alert_id and n.event = 'escalation'
               and n.status in ('pending', 'sending', 'sent')
        )

        select ch.channel, coalesce(rt.digest, false), st.recipients
          from (
              select routed.channel from routed
              union
              select stepped.channel from stepped
              union
              select paged.channel from paged
          ) as ch
          left join routed as rt on rt.channel = ch.channel
          left join stepped as st on st.channel = ch.channel
         order by ch.channel
    loop
        continue when v_alert.alert_type = 'notification_dead' and v_channel = v_labels ->> 'channel';
        continue when p_event = 'resolved' and not exists (
            select from monitoring.notifications as n
             where n.alert_id = p_alert_id and n.channel = v_channel and n.event in ('firing', 'repeat', 'escalation')
               and n.status in ('pending', 'sending', 'sent', 'held', 'digested')
        );
        if p_event = 'resolved' then
            -- Everyone told on this channel hears the end: the union of what each told row reached.
            select pg_catalog.array_agg(distinct t.recipient order by t.recipient)
              into v_recipients
              from monitoring.notifications as n
             cross join lateral pg_catalog.jsonb_array_elements_text(
                 case
                     when pg_catalog.jsonb_typeof(n.payload -> 'recipients') = 'array'
                          and pg_catalog.jsonb_array_length(n.payload -> 'recipients') > 0
                         then n.payload -> 'recipients'
                     else '["*"]'::jsonb
                 end
             ) as t (recipient)
             where n.alert_id = p_alert_id and n.channel = v_channel and n.event in ('firing', 'repeat', 'escalation')
               and n.status in ('pending', 'sending', 'sent', 'held', 'digested');
        end if;
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
            case
                when coalesce(v_recipients, '{}') in ('{}', '{*}') then v_payload
                else v_payload || pg_catalog.jsonb_build_object('recipients', v_recipients)
            end,
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

-- supalert:source sql/outbox/escalate.sql sha256=970db068063c4cf2f02b1b84f7e4e462206452c7a751b70cf63cedc2a22039de
-- monitoring.escalate(now): returns the number of alerts escalated at p_now. An alert still firing (not
-- acknowledged, not resolved) whose type (monitoring.alert_types, through its rule) has a response time is
-- escalated when its response time plus a step's delay has passed: one 'escalation' notification per channel
-- of that step (monitoring.escalation_steps), to the step's recipients or the channel's own. Each step is sent
-- once; when several fell due since the last run (the engine was down), only the highest is sent, so a person
-- is not paged for every step at once. Acknowledging stops it; a silence records the rows as suppressed.
-- Concurrent runs cannot escalate twice: the step is advanced under the alert's row lock. Called by
-- monitoring.evaluate (pg_cron) every minute; admins and service_role may run it by hand.
create or replace function monitoring.escalate(p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_alert_id uuid;
    v_escalated integer := 0;
begin
    perform monitoring.require_admin();
    for v_alert_id in
        with due as (
            select a.id, max(s.step) as step
              from public.system_alerts as a
              join monitoring.rules as r on r.key = a.alert_type
              join monitoring.alert_types as t on t.key = r.alert_type
              join monitoring.escalation_steps as s on s.alert_type = t.key
             where a.status = 'firing'
               and t.response_time is not null
               and s.enabled
               and s.step > a.escalation_step
               and a.created_at + t.response_time + s.delay <= p_now
             group by a.id
        )
        update public.system_alerts as a
           set escalation_step = d.step, escalated_at = p_now
          from due as d
         where a.id = d.id and a.status = 'firing' and a.escalation_step < d.step
        returning a.id
    loop
        perform monitoring.enqueue_notifications(v_alert_id, 'escalation', p_now);
        v_escalated := v_escalated + 1;
    end loop;
    return v_escalated;
end;
$$;

comment on function monitoring.escalate(timestamptz) is
'Escalates firing alerts past their type''s response time, one step at a time. Admins and service_role.';

revoke execute on function monitoring.escalate(timestamptz) from public, anon;
grant execute on function monitoring.escalate(timestamptz) to authenticated, service_role;
-- supalert:end sql/outbox/escalate.sql

-- supalert:source sql/outbox/recipients_valid.sql sha256=00b81faec9afba6de33586aeb89418675395ca2bcba76257926b47de2085ec2a
-- monitoring.recipients_valid(recipients): returns whether every entry is an email address or an E.164 phone
-- number, the two kinds a channel sender can reach (a Slack webhook has no recipients). Immutable, for the CHECK
-- on monitoring.escalation_steps.recipients; engine only.
create or replace function monitoring.recipients_valid(p_recipients text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
    select not exists (
        select from pg_catalog.unnest(p_recipients) as r (recipient)
         where r.recipient !~ '^(\+[1-9][0-9]{6,14}|[^@,\s<>]+@[^@,\s<>]+\.[^@,\s<>]+)$'
    )
$$;

comment on function monitoring.recipients_valid(text[]) is
'Whether every recipient is an email address or an E.164 number. For CHECK constraints.';

revoke execute on function monitoring.recipients_valid(text[]) from public, anon, authenticated;
-- supalert:end sql/outbox/recipients_valid.sql

-- Escalation: what happens when an alert of a type is not acknowledged within the type's response time. Step N is
-- due at the alert's start + the type's response time + the step's delay; its channels are paged, to its
-- recipients (empty: each channel's own). Seeded per type with a response time (the digest type has none):
-- the on-call phone (SMS) first, then everyone on every channel; Database Down, whose response time is
-- immediate, pages everyone again after 5 and 15 minutes. Data: edit the rows.
create table if not exists monitoring.escalation_steps (
    alert_type text not null references monitoring.alert_types (key) on delete cascade,
    step integer not null,
    delay interval not null default interval '0',
    channels text[] not null,
    recipients text[] not null default '{}',
    enabled boolean not null default true,
    primary key (alert_type, step),
    constraint escalation_steps_step_range check (step between 1 and 20),
    constraint escalation_steps_delay_not_negative check (delay >= interval '0'),
    constraint escalation_steps_channels_known check (
        cardinality(channels) > 0 and channels <@ array['email', 'slack', 'sms']::text[]
    ),
    constraint escalation_steps_recipients_valid check (monitoring.recipients_valid(recipients))
);
comment on table monitoring.escalation_steps is
'Per alert type: who is paged, and when, while an alert stays unacknowledged past the type''s response time.';
alter table monitoring.escalation_steps enable row level security;
revoke all on monitoring.escalation_steps from anon, authenticated;

insert into monitoring.escalation_steps (alert_type, step, delay, channels)
select
    t.key,
    s.step,
    case when t.response_time = interval '0' then s.immediate_delay else s.delay end as delay,
    case when t.response_time = interval '0' then '{email,slack,sms}'::text[] else s.channels end as channels
from monitoring.alert_types as t
cross join (
    values
    (1, interval '0', interval '5 minutes', '{sms}'::text[]),
    (2, interval '30 minutes', interval '15 minutes', '{email,slack,sms}'::text[])
) as s (step, delay, immediate_delay, channels)
where t.response_time is not null and not t.digest
on conflict (alert_type, step) do nothing;

-- Each alert's escalation: the last step sent (0: none) and when. A constant default: no table rewrite.
alter table public.system_alerts add column if not exists escalation_step integer not null default 0;
alter table public.system_alerts add column if not exists escalated_at timestamptz;
comment on column public.system_alerts.escalation_step is
'The last escalation step sent for this alert (monitoring.escalation_steps); 0 when none.';

-- The outbox's events gain 'escalation'. The new check is a superset of the old: rows written before it satisfy
-- it, so it is left NOT VALID (it holds for every new row) rather than scanning the outbox under a lock.
-- squawk-ignore ban-drop-constraint
alter table monitoring.notifications drop constraint if exists notifications_event_known;
alter table monitoring.notifications add constraint notifications_event_known
check (event in ('firing', 'repeat', 'escalation', 'resolved', 'test', 'digest')) not valid;
