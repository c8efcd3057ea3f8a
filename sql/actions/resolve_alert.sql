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
    perform monitoring.lock_rule((select a.alert_type from public.system_alerts as a where a.id = p_alert_id));
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
       set consecutive_breaches = 0, pending_since = null, last_state = 'resolved', last_verdict = null
     where s.rule_key = v_alert.alert_type and s.fingerprint = v_alert.fingerprint;
    return next v_alert;
end;
$$;

comment on function monitoring.resolve_alert(uuid, text) is
'Resolves an open alert by hand; the rule re-opens one if the condition persists. Admins only.';

revoke execute on function monitoring.resolve_alert(uuid, text) from public, anon;
grant execute on function monitoring.resolve_alert(uuid, text) to authenticated, service_role;
