-- public.dismiss_alert(alert id): returns true. The seed dashboard's Dismiss button: acknowledges the alert (it
-- leaves the `dismissed = false` widget, and stays open until its rule resolves it). Admins only; runs as the
-- caller, and monitoring.acknowledge_alert checks the admin claim.
create or replace function public.dismiss_alert(p_alert_id uuid)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
begin
    perform from monitoring.acknowledge_alert(p_alert_id);
    return true;
end;
$$;

comment on function public.dismiss_alert(uuid) is
'Dashboard: acknowledge (dismiss) an alert. Admins only.';

revoke execute on function public.dismiss_alert(uuid) from public, anon;
grant execute on function public.dismiss_alert(uuid) to authenticated, service_role;
