-- monitoring.alert_seen(alert id): returns (occurrences, last_seen_at) of the alert as of now: its row's counts
-- plus, while it is open, the evaluations that found it breaching since its row was last written
-- (monitoring.skipped_breaches; the engine writes a steady firing series only when its value changes or a repeat
-- is due). The CLI's `alerts` and the dashboard show these. No row for an unknown alert. Admins only.
create or replace function monitoring.alert_seen(p_alert_id uuid)
returns table (occurrences integer, last_seen_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform monitoring.require_admin();
    return query
    select a.occurrences + coalesce(k.breaches, 0), greatest(a.last_seen_at, k.last_at)
      from public.system_alerts as a
      left join lateral monitoring.skipped_breaches(a.alert_type, a.fingerprint) as k on a.resolved_at is null
     where a.id = p_alert_id;
end;
$$;

comment on function monitoring.alert_seen(uuid) is
'An alert''s occurrences and last_seen_at as of now, counting evaluations not yet written to it. Admins only.';

revoke execute on function monitoring.alert_seen(uuid) from public, anon;
grant execute on function monitoring.alert_seen(uuid) to authenticated, service_role;
