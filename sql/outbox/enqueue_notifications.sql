-- monitoring.enqueue_notifications(alert id, event, now): returns the number of outbox rows written. The outbox rows
-- of one alert's event, in the caller's transaction: monitoring.enqueue_notifications_many for one alert (routes,
-- silences, digests, escalation steps, recipients of a resolve, grouping and inhibition are decided there).
-- Raises no_data_found when the alert does not exist. Engine only (resolve_alert, notify, escalate).
create or replace function monitoring.enqueue_notifications(p_alert_id uuid, p_event text, p_now timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
begin
    return monitoring.enqueue_notifications_many(array[p_alert_id], p_event, p_now);
end;
$$;

comment on function monitoring.enqueue_notifications(uuid, text, timestamptz) is
'Writes the outbox rows for one alert event per the routes and silences, in the caller''s transaction. Engine only.';

revoke execute on function monitoring.enqueue_notifications(uuid, text, timestamptz) from public, anon, authenticated;
