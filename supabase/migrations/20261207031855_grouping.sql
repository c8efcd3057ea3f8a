-- 20261207031855_grouping: written by `python deploy.py new-migration grouping`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.
-- rules/low_credit_balance.md changed: its insert below reaches only databases without the rule;
-- update the existing rows by hand if they should change too (a project may have tuned them).

-- Grouping per rule (monitoring.form_groups): group_by null keeps each alert its own message, as before; an array
-- of label names groups the rule's alerts by those labels' values ('{}': all of them together). The timing is
-- Alertmanager's defaults: a new group waits group_wait for the alerts that come with it, then changes go out at
-- most once per group_interval.
alter table monitoring.rules add column if not exists group_by text[];
alter table monitoring.rules add column if not exists group_wait interval not null default interval '30 seconds';
alter table monitoring.rules add column if not exists group_interval interval not null default interval '5 minutes';
-- New columns, so every existing row already holds: nothing to scan.
-- squawk-ignore constraint-missing-not-valid
alter table monitoring.rules add constraint rules_group_wait_positive check (group_wait > interval '0');
-- squawk-ignore constraint-missing-not-valid
alter table monitoring.rules add constraint rules_group_interval_positive check (group_interval > interval '0');
-- squawk-ignore constraint-missing-not-valid
alter table monitoring.rules add constraint rules_group_by_names
check (group_by is null or (pg_catalog.array_position(group_by, null) is null and cardinality(group_by) <= 16));
comment on column monitoring.rules.group_by is
'Labels whose values group this rule''s alerts into one message per channel; {} all together; null: no grouping.';

-- The dashboard's address, for the link a group message carries (null: no link).
alter table monitoring.settings add column if not exists dashboard_url text;
-- squawk-ignore constraint-missing-not-valid
alter table monitoring.settings add constraint settings_dashboard_url_http
check (dashboard_url is null or dashboard_url ~ '^https?://[^\s]+$');

-- A grouped rule's outbox rows carry their group's key; a group's own row (alert_id null) lists its members, which
-- point at it (group_id) with status 'grouped' until it is sent or dead; grouped_at is when a row went out as (part
-- of) a message, which starts the group interval. The reference is added not valid: the column is new, so every
-- existing row is null and a scan under a lock that blocks the outbox's writers would check nothing.
alter table monitoring.notifications add column if not exists group_key text;
alter table monitoring.notifications add column if not exists group_id uuid;
alter table monitoring.notifications add column if not exists grouped_at timestamptz;
alter table monitoring.notifications add constraint notifications_group_id_group
foreign key (group_id) references monitoring.notifications (id) on delete set null not valid;
-- The outbox is kept small by retention (days of rows), and a migration runs in one transaction, where an index
-- cannot be built concurrently.
-- squawk-ignore require-concurrent-index-creation
create index if not exists notifications_group on monitoring.notifications (group_key, channel, event)
where group_key is not null;
-- squawk-ignore require-concurrent-index-creation
create index if not exists notifications_group_id on monitoring.notifications (group_id) where group_id is not null;
-- The statuses gain 'grouped': a superset of the old check, so rows written before it satisfy it; left NOT VALID
-- (it holds for every new row) rather than scanning the outbox under a lock.
-- squawk-ignore ban-drop-constraint
alter table monitoring.notifications drop constraint if exists notifications_status_known;
alter table monitoring.notifications add constraint notifications_status_known
check (status in ('pending', 'sending', 'sent', 'suppressed', 'held', 'digested', 'grouped', 'dead')) not valid;

-- supalert:source sql/outbox/claim_notifications.sql sha256=f69843163192a403b804363286d5892cb54fedf6f52ca6f2dd502d52c5313513
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
-- Then the due rows of each alert group become one row per channel (monitoring.form_groups), claimed like any other.
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
             and q.alert_id is not null and (p_alert_id is null or q.alert_id = p_alert_id)
      ) as i
     where n.id = i.id and i.source is not null;

    perform monitoring.form_groups(p_alert_id, p_now);

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

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=db31874b0f7568008a8a0d197ae73ef8d42594812a1edb7c5d87178af24ea99e
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
--   - a firing, repeat, escalation or resolve of a grouped rule's alert (monitoring.rules.group_by) carries its group key and
--     is due at its group's slot (monitoring.group_slot), so the alerts that come together go out as one message
--     per channel (monitoring.form_groups);
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
    v_group_by text[];
    v_group_wait interval;
    v_group_interval interval;
    v_group_key text;
    v_status text;
begin
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id;
    if not found then
        raise exception 'alert % not found', p_alert_id using errcode = 'no_data_found';
    end if;
    v_labels := coalesce(v_alert.metadata -> 'labels', '{}'::jsonb);
    select r.alert_type, r.group_by, r.group_wait, r.group_interval
      into v_type, v_group_by, v_group_wait, v_group_interval
      from monitoring.rules as r
     where r.key = v_alert.alert_type;
    if v_group_by is not null and p_event in ('firing', 'repeat', 'escalation', 'resolved') then
        v_group_key := v_alert.alert_type || ' ' || coalesce(
            (select pg_catalog.jsonb_object_agg(g.name, v_labels -> g.name)
               from pg_catalog.unnest(v_group_by) as g (name)
              where v_labels ? g.name),
            '{}'::jsonb
        )::text;
        -- One escalation step pages the same people for every member: a group per step.
        if p_event = 'escalation' then
            v_group_key := v_group_key || ' step ' || v_alert.escalation_step;
        end if;
    end if;

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
               and n.status in ('pending', 'sending', 'sent', 'grouped')
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
        if p_event = 'resolved' then
            -- Everyone told on this channel hears the end: the union of what each told row reached (null: the
            -- channel was told nothing, so it hears nothing).
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
               and n.status in ('pending', 'sending', 'sent', 'held', 'digested', 'grouped');
            continue when v_recipients is null;
        end if;
        v_status := case
            when v_silence is not null then 'suppressed'
            when v_digest and p_event <> 'test' then 'held'
            else 'pending'
        end;
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, silenced_by, group_key,
            created_at, updated_at
        ) values (
            p_alert_id, p_event, v_channel, v_status,
            case
                when coalesce(v_recipients, '{}') in ('{}', '{*}') then v_payload
                else v_payload || pg_catalog.jsonb_build_object('recipients', v_recipients)
            end,
            'supalert-' || pg_catalog.gen_random_uuid()::text,
            case
                when v_group_key is not null and v_status = 'pending'
                    then monitoring.group_slot(v_group_key, v_channel, p_event, v_group_wait, v_group_interval, p_now)
                else p_now
            end,
            v_silence,
            case when v_status = 'pending' then v_group_key end,
            p_now, p_now
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
                      and m.status in ('pending', 'sending', 'sent', 'held', 'digested', 'grouped')
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

-- supalert:source sql/outbox/form_groups.sql sha256=439f03150f351d6dfdad52b472bdd35f2745a2642ec1829c0e795405fd504810
-- monitoring.form_groups(alert id, now): returns the number of group messages written. For each group of a
-- grouped rule (monitoring.rules.group_by: the rule and the values of those labels) whose rows for one channel
-- and event are due and untried, turns two or more of them into one outbox row that lists the first ten and
-- counts the rest (payload.items, payload.group), and marks them grouped into it (group_id). Each member keeps
-- its own row and its alert its own history; the group row is sent, retried and leased like any other with one
-- idempotency key, and its members are settled with it (record_delivery), so a dispatcher that dies mid-group
-- makes the same message go out again, never a second one. A lone due row goes out as itself. Every row that goes
-- out records the time (grouped_at), which starts the group interval (monitoring.group_slot). Engine only
-- (claim_notifications).
create or replace function monitoring.form_groups(p_alert_id uuid, p_now timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_key text;
    v_channel text;
    v_event text;
    v_ids uuid[];
    v_group uuid;
    v_rule monitoring.rules;
    v_first jsonb;
    v_formed integer := 0;
    v_dashboard text;
begin
    for v_key, v_channel, v_event in
        select distinct n.group_key, n.channel, n.event
          from monitoring.notifications as n
         where n.status = 'pending' and n.next_attempt_at <= p_now and n.group_key is not null
           and n.alert_id is not null and n.attempts = 0 and n.grouped_at is null
           and (p_alert_id is null or n.alert_id = p_alert_id)
         order by n.group_key, n.channel, n.event
    loop
        -- Two dispatchers forming the same group would send it as two messages: one forms it, the other moves on.
        continue when not pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtextextended(pg_catalog.concat_ws(' ', 'supalert:group', v_key, v_channel, v_event), 0)
        );
        select pg_catalog.array_agg(l.id order by l.created_at, l.id)
          into v_ids
          from (
              select n.id, n.created_at
                from monitoring.notifications as n
               where n.group_key = v_key and n.channel = v_channel and n.event = v_event
                 and n.status = 'pending' and n.next_attempt_at <= p_now and n.alert_id is not null
                 and n.attempts = 0 and n.grouped_at is null
                 and (p_alert_id is null or n.alert_id = p_alert_id)
                 for update skip locked
          ) as l;
        continue when v_ids is null;
        if pg_catalog.cardinality(v_ids) = 1 then
            update monitoring.notifications as n set grouped_at = p_now where n.id = v_ids[1];
            continue;
        end if;

        select n.payload into v_first from monitoring.notifications as n where n.id = v_ids[1];
        select r.* into v_rule from monitoring.rules as r where r.key = v_first ->> 'rule';
        select s.dashboard_url into v_dashboard from monitoring.settings as s;
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, group_key, grouped_at,
            created_at, updated_at
        )
        select
            null, v_event, v_channel, 'pending',
            pg_catalog.jsonb_build_object(
                'event', v_event,
                'rule', v_first ->> 'rule',
                'severity', (
                    select m.payload ->> 'severity' from monitoring.notifications as m
                     where m.id = any (v_ids)
                     order by monitoring.severity_rank(m.payload ->> 'severity'), m.created_at
                     limit 1
                ),
                'status', case when v_event = 'resolved' then 'resolved' else 'firing' end,
                'title', pg_catalog.format(
                    '%s alerts: %s', pg_catalog.cardinality(v_ids), coalesce(v_rule.title, v_first ->> 'rule')
                ),
                'message', pg_catalog.format(
                    '%s alerts of rule %s %s together; the first %s are listed%s.',
                    pg_catalog.cardinality(v_ids), v_first ->> 'rule',
                    case v_event when 'resolved' then 'resolved' when 'repeat' then 'are still firing'
                        when 'escalation' then 'are still unacknowledged' else 'fired' end,
                    least(pg_catalog.cardinality(v_ids), 10),
                    case when v_dashboard is null then '' else ', every one is on the dashboard' end
                ),
                'labels', coalesce(
                    (select pg_catalog.jsonb_object_agg(g.name, v_first -> 'labels' -> g.name)
                       from pg_catalog.unnest(v_rule.group_by) as g (name)
                      where v_first -> 'labels' ? g.name),
                    '{}'::jsonb
                ),
                'runbook_url', v_first ->> 'runbook_url',
                'metadata', '{}'::jsonb,
                'items', (
                    select pg_catalog.jsonb_agg(m.payload order by m.created_at, m.id)
                      from (
                          select q.payload, q.created_at, q.id from monitoring.notifications as q
                           where q.id = any (v_ids[1:10])
                      ) as m
                ),
                'group', pg_catalog.jsonb_build_object(
                    'key', v_key, 'count', pg_catalog.cardinality(v_ids), 'dashboard_url', v_dashboard
                )
            -- An escalation step's members share its recipients and step (the key names the step).
            ) || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'recipients', v_first -> 'recipients', 'escalation_step', v_first -> 'escalation_step'
            )),
            'supalert-group-' || pg_catalog.gen_random_uuid()::text,
            p_now, v_key, p_now, p_now, p_now
        returning id into v_group;
        update monitoring.notifications as n
           set status = 'grouped', group_id = v_group, grouped_at = p_now, updated_at = p_now
         where n.id = any (v_ids);
        v_formed := v_formed + 1;
    end loop;
    return v_formed;
end;
$$;

comment on function monitoring.form_groups(uuid, timestamptz) is
'Turns the due rows of each alert group into one outbox row per channel and event. Engine only.';

revoke execute on function monitoring.form_groups(uuid, timestamptz) from public, anon, authenticated;
-- supalert:end sql/outbox/form_groups.sql

-- supalert:source sql/outbox/group_slot.sql sha256=772279780f8714554fdf1001ea0f7732392f62a7e5158771ea0b6dc0e2b4b367
-- monitoring.group_slot(group key, channel, event, group wait, group interval, now): returns when a new outbox row
-- of a grouped rule's alert is due, Alertmanager's timing: with the group's members already waiting to go out
-- together, at their time (it joins them); within p_interval of the group's last message, p_interval after it (at
-- most one message per channel per group interval); otherwise p_wait from now (a new group waits for the
-- alerts that come with it). Engine only (enqueue_notifications).
create or replace function monitoring.group_slot(
    p_group_key text, p_channel text, p_event text, p_wait interval, p_interval interval, p_now timestamptz
)
returns timestamptz
language sql
stable
set search_path = ''
as $$
    select coalesce(
        (select pg_catalog.min(n.next_attempt_at)
           from monitoring.notifications as n
          where n.group_key = p_group_key and n.channel = p_channel and n.event = p_event
            and n.status = 'pending' and n.alert_id is not null and n.group_id is null and n.attempts = 0
            and n.grouped_at is null),
        (select pg_catalog.max(n.grouped_at) + p_interval
           from monitoring.notifications as n
          where n.group_key = p_group_key and n.channel = p_channel and n.event = p_event
         having pg_catalog.max(n.grouped_at) + p_interval > p_now),
        p_now + p_wait
    )
$$;

comment on function monitoring.group_slot(text, text, text, interval, interval, timestamptz) is
'When a new grouped outbox row is due (group wait, group interval). Engine only.';

revoke execute on function monitoring.group_slot(text, text, text, interval, interval, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/outbox/group_slot.sql

-- supalert:source sql/outbox/record_delivery.sql sha256=380052518bb46284bb64c4393b4d5dc02ecea91e145136a0f32d077a2e14613e
-- monitoring.record_delivery(id, outcome, status code, error, retry-after seconds, provider id, now): returns the
-- row's new status (sent, pending or dead). Outcomes: 'sent'; 'retry' (5xx, 429, timeout): due again after an
-- exponential backoff (30 s, 1, 2, 4 ... min, at most 1 h) or the provider's Retry-After, whichever is later,
-- and dead after max_attempts; 'permanent' (a 4xx that will not change): dead at once. A dead notification
-- opens (or bumps) a notification_dead alert for its channel, which is routed away from that channel; a sent one
-- resolves that alert. Recording 'sent' twice is harmless; with p_worker, a failure reported by a dispatcher that
-- no longer holds the lease is ignored. p_delivered names the recipients this attempt reached (kept in
-- delivered_to, so a retry skips them). A group's row (monitoring.form_groups) settles its members with it: sent
-- or dead together. For the dispatcher.
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
    if v_status in ('sent', 'dead') then
        update monitoring.notifications as n
           set status = v_status, sent_at = case when v_status = 'sent' then p_now end, updated_at = p_now
         where n.group_id = p_id and n.status = 'grouped';
    end if;

    -- A notification about a dead channel that dies itself raises nothing more: no loop.
    if v_status in ('dead', 'sent') and (
        select a.alert_type from public.system_alerts as a where a.id = v_row.alert_id
    ) is distinct from 'notification_dead' then
        perform monitoring.observe_engine_rule(
            'notification_dead', pg_catalog.jsonb_build_object('channel', v_row.channel), v_status = 'dead',
            pg_catalog.jsonb_build_object(
                'summary', case when v_status = 'dead'
                    then pg_catalog.format('%s notification %s gave up after %s attempt(s): %s',
                        v_row.channel, v_row.id, v_row.attempts, coalesce(p_error, 'no error given'))
                    else pg_catalog.format('%s delivers again', v_row.channel)
                end,
                'notification_id', v_row.id,
                'status_code', p_status_code),
            p_now
        );
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
-- supalert:end sql/outbox/record_delivery.sql

-- supalert:source rules/low_credit_balance.md sha256=e131835c0976edc18c7b4fd770c88453e2542f88ee363459214e396c0f032ad2
insert into monitoring.rules (
    key, title, description, metric_function, alert_type, severity, comparison, threshold, repeat_interval, on_no_data,
    group_by
) values (
    'low_credit_balance', 'Low Credit Balance',
    'A client''s credit balance is below 100 (client_credits; one alert per client).', 'metric_client_credit',
    'low_inventory', 'high', '<', 100, interval '1 day', 'resolve', array[]::text[]
)
on conflict (key) do nothing;
-- supalert:end rules/low_credit_balance.md

-- Installed projects: the clients that go under together become one message per channel, unless the project has
-- set the rule's grouping itself.
update monitoring.rules set group_by = '{}'
where key = 'low_credit_balance' and group_by is null;
