-- monitoring.release_notifications(worker, ids): returns the rows released. Hands back rows p_worker claimed but
-- will not send (its time budget ran out): pending again at once, the attempt not counted, the lease cleared, so the
-- next dispatcher need not wait for the lease to expire. Rows another worker holds are left alone. For dispatchers.
create or replace function monitoring.release_notifications(p_worker text, p_ids uuid[])
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_released integer;
begin
    perform monitoring.require_admin();
    update monitoring.notifications as n
       set status = 'pending',
           attempts = greatest(n.attempts - 1, 0),
           lease_until = null,
           claimed_by = null,
           updated_at = pg_catalog.now()
     where n.id = any (p_ids) and n.status = 'sending' and n.claimed_by = p_worker;
    get diagnostics v_released = row_count;
    return v_released;
end;
$$;

comment on function monitoring.release_notifications(text, uuid[]) is
'Returns claimed-but-unsent rows to pending without counting the attempt. For dispatchers.';

revoke execute on function monitoring.release_notifications(text, uuid[]) from public, anon, authenticated;
grant execute on function monitoring.release_notifications(text, uuid[]) to service_role;
