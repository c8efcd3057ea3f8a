-- monitoring.claim_notifications(worker, limit, lease, alert id, now): returns the claimed outbox rows
-- (id, channel, event, attempts, idempotency_key, payload, delivered_to). Takes up to p_limit due rows (pending and due, or
-- sending with an expired lease: the dispatcher that claimed them died) with FOR UPDATE SKIP LOCKED, so concurrent
-- dispatchers never get the same row, and leases them to p_worker for p_lease. Rows whose lease expired after
-- their last allowed attempt go dead instead. A due firing or repeat of an inhibited alert
-- (monitoring.inhibiting_alert) is recorded as suppressed, inhibited_by its source, instead of being claimed:
-- decided here rather than when the row was written, so a source that fires in the same evaluation as its
-- target, in either order, still wins. For the dispatcher (edge function, deploy.py, service_role).
create or replace function monitoring.claim_notifications(
    p_worker text,
    p_limit integer default 20,
    p_lease interval default interval '2 minutes',
    p_alert_id uuid default null,
    p_now timestamptz default pg_catalog.now()
)
returns table (
    id uuid, channel text, event text, attempts integer, idempotency_key text, payload jsonb, delivered_to text[]
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_expired uuid;
begin
    perform monitoring.require_admin();
    for v_expired in
        select n.id from monitoring.notifications as n
         where n.status = 'sending' and n.lease_until < p_now and n.attempts >= n.max_attempts
           and (p_alert_id is null or n.alert_id = p_alert_id)
           for update skip locked
    loop
        perform monitoring.record_delivery(
            v_expired, 'permanent', null, 'lease expired after the last attempt', null, null, p_now
        );
    end loop;

    update monitoring.notifications as n
       set status = 'suppressed', inhibited_by = i.source, updated_at = p_now
      from (
          select q.id, monitoring.inhibiting_alert(q.alert_id) as source
            from monitoring.notifications as q
           where q.status = 'pending' and q.next_attempt_at <= p_now and q.event in ('firing', 'repeat')
             and (p_alert_id is null or q.alert_id = p_alert_id)
      ) as i
     where n.id = i.id and i.source is not null;

    return query
    with due as (
        select n.id
          from monitoring.notifications as n
         where ((n.status = 'pending' and n.next_attempt_at <= p_now)
                or (n.status = 'sending' and n.lease_until < p_now))
           and (p_alert_id is null or n.alert_id = p_alert_id)
         order by n.next_attempt_at, n.created_at
         limit greatest(p_limit, 0)
           for update skip locked
    )
    update monitoring.notifications as n
       set status = 'sending',
           attempts = n.attempts + 1,
           lease_until = p_now + p_lease,
           claimed_by = p_worker,
           updated_at = p_now
      from due
     where n.id = due.id
    returning n.id, n.channel, n.event, n.attempts, n.idempotency_key, n.payload, n.delivered_to;
end;
$$;

comment on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) is
'Claims due outbox rows with FOR UPDATE SKIP LOCKED and a lease. For dispatchers.';

revoke execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) to service_role;
