-- monitoring.claim_notifications(worker, limit, lease, alert id, now): returns the claimed outbox rows
-- (id, channel, event, attempts, idempotency_key, payload, delivered_to) in the order they are to be sent. Takes up
-- to p_limit due pending rows with FOR UPDATE SKIP LOCKED, so concurrent dispatchers never get the same row, and
-- leases them to p_worker for p_lease. A dispatcher sends its batch in order, so when a lease expires (the
-- dispatcher died) only the first row of that batch still sending can have been attempted: it keeps its attempt
-- and goes to the back of the queue (dead if that was its last), and the rows after it were never tried and are
-- handed back with their attempt not counted, so a dispatcher that crashes over and over costs one attempt per
-- crash, not one per row it held. A due firing, repeat or escalation of an inhibited alert (monitoring.inhibiting_alert) is
-- recorded as suppressed, inhibited_by its source, instead of being claimed: decided here rather than when the
-- row was written, so a source that fires in the same evaluation as its target, in either order, still wins.
-- Then the due rows of each alert group become one row per channel (monitoring.form_groups), claimed like any other.
-- For the dispatcher (edge function, deploy.py, service_role).
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
    with expired as (
        select n.id, n.attempts, n.max_attempts,
               -- A row claimed before claim_position existed has none: counted as attempted, as it always was.
               coalesce(
                   n.claim_position = min(n.claim_position) over (partition by n.claimed_by, n.lease_until), true
               ) as in_flight
          from monitoring.notifications as n
         where n.status = 'sending' and n.lease_until < p_now
           and (p_alert_id is null or n.alert_id = p_alert_id)
    ),
    lockable as (
        select n.id from monitoring.notifications as n
         where n.id in (select e.id from expired as e)
           for update skip locked
    )
    update monitoring.notifications as n
       set status = 'pending',
           attempts = case when e.in_flight then n.attempts else greatest(n.attempts - 1, 0) end,
           next_attempt_at = case when e.in_flight then p_now else n.next_attempt_at end,
           lease_until = null,
           claimed_by = null,
           claim_position = null,
           updated_at = p_now
      from expired as e
     where n.id = e.id and n.id in (select l.id from lockable as l)
       and not (e.in_flight and e.attempts >= e.max_attempts);

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
           where q.status = 'pending' and q.next_attempt_at <= p_now and q.event in ('firing', 'repeat', 'escalation')
             and q.alert_id is not null and (p_alert_id is null or q.alert_id = p_alert_id)
      ) as i
     where n.id = i.id and i.source is not null;

    perform monitoring.form_groups(p_alert_id, p_now);

    return query
    with due as (
        select n.id, n.next_attempt_at, n.created_at
          from monitoring.notifications as n
         where n.status = 'pending' and n.next_attempt_at <= p_now
           and (p_alert_id is null or n.alert_id = p_alert_id)
         order by n.next_attempt_at, n.created_at, n.id
         limit greatest(p_limit, 0)
           for update skip locked
    ),
    ranked as (
        select d.id, pg_catalog.row_number() over (order by d.next_attempt_at, d.created_at, d.id) as claim_order
          from due as d
    ),
    claimed as (
        update monitoring.notifications as n
           set status = 'sending',
               attempts = n.attempts + 1,
               lease_until = p_now + p_lease,
               claimed_by = p_worker,
               claim_position = r.claim_order,
               updated_at = p_now
          from ranked as r
         where n.id = r.id
        returning n.id, n.channel, n.event, n.attempts, n.idempotency_key, n.payload, n.delivered_to,
                  n.claim_position
    )
    select c.id, c.channel, c.event, c.attempts, c.idempotency_key, c.payload, c.delivered_to
      from claimed as c
     order by c.claim_position;
end;
$$;

comment on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) is
'Claims due outbox rows with FOR UPDATE SKIP LOCKED and a lease. For dispatchers.';

revoke execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz)
from public, anon, authenticated;
grant execute on function monitoring.claim_notifications(text, integer, interval, uuid, timestamptz) to service_role;
