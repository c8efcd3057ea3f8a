-- monitoring.alert_action(notification, alert, action, link lifetime, apply, by, silence for, now): returns one
-- row (outcome, title, severity, status, detail) for the alert-action edge function, which has already checked the
-- link's signature. The link is the message's own (monitoring.notifications id) and names its alert and an action
-- ('acknowledge' or 'silence'); it expires p_ttl after the message was written and works once. Outcomes that
-- change nothing: 'unknown' (no such message for that alert), 'expired', 'used' (detail: by whom, when),
-- 'resolved', 'unsupported' (an app's alert has no rule to silence), and 'ready' (p_apply false: what a GET
-- shows). With p_apply: 'acknowledged' (monitoring.acknowledge_alert, by p_by and how), or 'silenced' (the alert's
-- rule and labels for p_silence, monitoring.create_silence). For the alert-action function (service_role).
create or replace function monitoring.alert_action(
    p_notification_id uuid,
    p_alert_id uuid,
    p_action text,
    p_ttl interval,
    p_apply boolean default false,
    p_by text default null,
    p_silence interval default null,
    p_now timestamptz default pg_catalog.now()
)
returns table (outcome text, title text, severity text, status text, detail text)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_alert public.system_alerts;
    v_written timestamptz;
    v_channel text;
    v_use monitoring.alert_action_uses;
    v_by text;
begin
    perform monitoring.require_admin();
    if p_action not in ('acknowledge', 'silence') then
        raise exception 'action must be acknowledge or silence, not %', pg_catalog.quote_literal(p_action)
            using errcode = 'invalid_parameter_value';
    end if;
    select n.created_at, n.channel into v_written, v_channel
      from monitoring.notifications as n
     where n.id = p_notification_id and n.alert_id = p_alert_id;
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id for update;
    if v_written is null or v_alert.id is null then
        return query select 'unknown', null::text, null::text, null::text, 'no such alert message'::text;
        return;
    end if;
    outcome := null;
    title := v_alert.title;
    severity := v_alert.severity;
    status := v_alert.status;
    select u.* into v_use
      from monitoring.alert_action_uses as u
     where u.notification_id = p_notification_id and u.link_action = p_action;
    if v_use.notification_id is not null then
        outcome := 'used';
        detail := pg_catalog.format('used by %s at %s', v_use.used_by, v_use.used_at);
    elsif v_written + p_ttl < p_now then
        outcome := 'expired';
        detail := pg_catalog.format('the link expired at %s', v_written + p_ttl);
    elsif v_alert.status = 'resolved' then
        outcome := 'resolved';
        detail := pg_catalog.format('resolved at %s', v_alert.resolved_at);
    elsif p_action = 'silence' and not exists (select from monitoring.rules as r where r.key = v_alert.alert_type) then
        outcome := 'unsupported';
        detail := 'an alert sent by the app has no rule to silence: acknowledge it, or silence it from the dashboard';
    elsif not p_apply then
        outcome := 'ready';
        detail := case when v_alert.status = 'acknowledged'
            then pg_catalog.format('already acknowledged by %s', v_alert.acknowledged_by) end;
    end if;
    if outcome is not null then
        return next;
        return;
    end if;

    if p_action = 'silence' and (p_silence is null or p_silence <= interval '0' or p_silence > interval '7 days') then
        raise exception 'a silence from a link lasts more than 0 and at most 7 days, not %',
            coalesce(p_silence::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    v_by := pg_catalog.format('%s (%s link)', coalesce(nullif(pg_catalog.btrim(p_by), ''), 'someone'), v_channel);
    insert into monitoring.alert_action_uses (notification_id, link_action, alert_id, used_by, used_at)
    values (p_notification_id, p_action, p_alert_id, v_by, p_now);
    if p_action = 'acknowledge' then
        perform monitoring.acknowledge_alert(p_alert_id, v_by);
        outcome := 'acknowledged';
        detail := pg_catalog.format('acknowledged by %s', v_by);
    else
        perform monitoring.create_silence(
            v_alert.alert_type, null, coalesce(v_alert.metadata -> 'labels', '{}'::jsonb), p_silence,
            pg_catalog.format('from the %s message of alert %s', v_channel, p_alert_id), v_by
        );
        outcome := 'silenced';
        detail := pg_catalog.format('silenced for %s by %s', p_silence, v_by);
    end if;
    select a.status into status from public.system_alerts as a where a.id = p_alert_id;
    return next;
end;
$$;

comment on function monitoring.alert_action(uuid, uuid, text, interval, boolean, text, interval, timestamptz) is
'Acknowledges or silences an alert from a signed link in its message (once, before it expires). alert-action.';

revoke execute on function monitoring.alert_action(uuid, uuid, text, interval, boolean, text, interval, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.alert_action(uuid, uuid, text, interval, boolean, text, interval, timestamptz)
to service_role;
