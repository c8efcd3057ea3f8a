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
        'runbook_url', coalesce(v_alert.metadata ->> 'runbook_url', monitoring.runbook_url(v_alert.alert_type)),
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
