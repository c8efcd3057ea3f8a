-- 20261207052200_group_labels_once: written by `python deploy.py new-migration group_labels_once`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- supalert:source sql/outbox/enqueue_notifications.sql sha256=2b8a0ce422e49431c12a9b56d61f4f275f7a966e5ef7486684ad778bca3c132f
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
        v_group_key := v_alert.alert_type || ' ' || monitoring.group_labels(v_labels, v_group_by)::text;
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

-- supalert:source sql/outbox/form_groups.sql sha256=e90bfe2991ef2ffe081e2c42f6db444c038651b88cb2d71ffbaa49fb275e0b52
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
    -- One pass locks every due, untried member (a row another dispatcher holds is skipped) and groups them.
    for v_key, v_channel, v_event, v_ids in
        select l.group_key, l.channel, l.event, pg_catalog.array_agg(l.id order by l.created_at, l.id)
          from (
              select n.id, n.group_key, n.channel, n.event, n.created_at
                from monitoring.notifications as n
               where n.status = 'pending' and n.next_attempt_at <= p_now and n.group_key is not null
                 and n.alert_id is not null and n.attempts = 0 and n.grouped_at is null
                 and (p_alert_id is null or n.alert_id = p_alert_id)
                 for update skip locked
          ) as l
         group by l.group_key, l.channel, l.event
         order by l.group_key, l.channel, l.event
    loop
        -- Two dispatchers forming the same group would send it as two messages: one forms it, the other moves on.
        continue when not pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtextextended(pg_catalog.concat_ws(' ', 'supalert:group', v_key, v_channel, v_event), 0)
        );
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
                'labels', monitoring.group_labels(v_first -> 'labels', v_rule.group_by),
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

-- supalert:source sql/outbox/group_labels.sql sha256=31d05666e39d39ad341abd3d0762161c6bd247e2f81e560151dbaf0a42eb73a4
-- monitoring.group_labels(labels, group_by): returns the alert's labels that name its group (those of p_group_by
-- it has), {} when none. The one definition behind a grouped row's key (enqueue_notifications) and a group
-- message's labels (form_groups). Engine only.
create or replace function monitoring.group_labels(p_labels jsonb, p_group_by text[])
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select coalesce(pg_catalog.jsonb_object_agg(g.name, p_labels -> g.name), '{}'::jsonb)
      from pg_catalog.unnest(p_group_by) as g (name)
     where p_labels ? g.name
$$;

comment on function monitoring.group_labels(jsonb, text[]) is
'The labels of an alert that name its group (monitoring.rules.group_by). Engine only.';

revoke execute on function monitoring.group_labels(jsonb, text[]) from public, anon, authenticated;
-- supalert:end sql/outbox/group_labels.sql
