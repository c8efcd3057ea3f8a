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
