-- monitoring.inhibiting_alert(alert id): returns the open alert that inhibits it now (the oldest), or null. An
-- alert is inhibited while an alert of a rule that monitoring.inhibitions names as its source is open: the
-- target rule itself, or any other rule's alert when target_rule is null (an app's own alerts never are), and
-- the source's labels equal the target's on every name of equal_labels. Engine only (claim_notifications,
-- enqueue_notifications).
create or replace function monitoring.inhibiting_alert(p_alert_id uuid)
returns uuid
language sql
stable
set search_path = ''
as $$
    select s.id
      from public.system_alerts as t
      join monitoring.rules as r on r.key = t.alert_type
      join monitoring.inhibitions as i
        on i.enabled and i.source_rule <> t.alert_type and (i.target_rule is null or i.target_rule = t.alert_type)
      join public.system_alerts as s on s.alert_type = i.source_rule and s.resolved_at is null
     where t.id = p_alert_id
       and not exists (
           select from pg_catalog.unnest(i.equal_labels) as l (name)
            where (s.metadata -> 'labels' ->> l.name) is distinct from (t.metadata -> 'labels' ->> l.name)
       )
     order by s.created_at, s.id
     limit 1
$$;

comment on function monitoring.inhibiting_alert(uuid) is
'The open alert inhibiting this one (monitoring.inhibitions), or null. Engine only.';

revoke execute on function monitoring.inhibiting_alert(uuid) from public, anon, authenticated;
