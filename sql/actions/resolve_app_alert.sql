-- monitoring.resolve_app_alert(dedup_key, category, now): returns (alert_id, notifications) for each open alert of
-- the app's that it resolved: those monitoring.notify opened under that key (and category, when given). None open
-- is not an error (an app resolving in a loop, as it alerts). Each resolve goes to the channels that heard the
-- firing. Admins, service_role and database logins (send-alert-notification's {"action": "resolve"}).
create or replace function monitoring.resolve_app_alert(
    p_dedup_key text, p_category text default null, p_now timestamptz default pg_catalog.now()
)
returns table (alert_id uuid, notifications integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_id uuid;
begin
    perform monitoring.require_admin();
    if coalesce(pg_catalog.btrim(p_dedup_key), '') = '' then
        raise exception 'dedup_key must not be empty' using errcode = 'invalid_parameter_value';
    end if;
    for v_id in
        update public.system_alerts as a
           set status = 'resolved',
               resolved_at = p_now,
               metadata = a.metadata || '{"resolved_by": "send-alert-notification"}'::jsonb
         where a.resolved_at is null
           and a.metadata ->> 'source' = 'send-alert-notification'
           and a.fingerprint = monitoring.fingerprint(
               pg_catalog.jsonb_build_object('dedup_key', pg_catalog.btrim(p_dedup_key)))
           and (p_category is null or a.alert_type = p_category)
        returning a.id
    loop
        alert_id := v_id;
        notifications := monitoring.enqueue_notifications(v_id, 'resolved', p_now);
        return next;
    end loop;
end;
$$;

comment on function monitoring.resolve_app_alert(text, text, timestamptz) is
'Resolves the open app alerts of a dedup_key (and category), with their resolve notifications. For '
'send-alert-notification.';

revoke execute on function monitoring.resolve_app_alert(text, text, timestamptz) from public, anon;
grant execute on function monitoring.resolve_app_alert(text, text, timestamptz) to authenticated, service_role;
