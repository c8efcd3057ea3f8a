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
