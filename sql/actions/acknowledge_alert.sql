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
