-- monitoring.record_delivery(id, outcome, status code, error, retry-after seconds, provider id, now): returns the
-- row's new status (sent, pending or dead). Outcomes: 'sent'; 'retry' (5xx, 429, timeout): due again after an
-- exponential backoff (30 s, 1, 2, 4 ... min, at most 1 h) or the provider's Retry-After, whichever is later,
-- and dead after max_attempts; 'permanent' (a 4xx that will not change): dead at once. A dead notification
-- opens (or bumps) a notification_dead alert for its channel, which is routed away from that channel; a sent one
-- resolves that alert. Recording 'sent' twice is harmless; with p_worker, a failure reported by a dispatcher that
-- no longer holds the lease is ignored. p_delivered names the recipients this attempt reached (kept in
-- delivered_to, so a retry skips them). A group's row (monitoring.form_groups) settles its members with it: sent
-- or dead together. For the dispatcher.
create or replace function monitoring.record_delivery(
    p_id uuid,
    p_outcome text,
    p_status_code integer default null,
    p_error text default null,
    p_retry_after_seconds integer default null,
    p_provider_id text default null,
    p_now timestamptz default pg_catalog.now(),
    p_worker text default null,
    p_delivered text[] default null
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_row monitoring.notifications;
    v_status text;
begin
    perform monitoring.require_admin();
    if p_outcome not in ('sent', 'retry', 'permanent') then
        raise exception 'outcome must be sent, retry or permanent, not %', pg_catalog.quote_literal(p_outcome)
            using errcode = 'invalid_parameter_value';
    end if;
    select n.* into v_row from monitoring.notifications as n where n.id = p_id for update;
    if not found then
        raise exception 'notification % not found', p_id using errcode = 'no_data_found';
    end if;
    -- A dispatcher whose lease expired and passed to another may report late: its failure must not undo the
    -- newer holder's work (a delivery, though, always counts).
    if p_worker is not null and v_row.status = 'sending' and v_row.claimed_by is distinct from p_worker
       and p_outcome <> 'sent' then
        return v_row.status;
    end if;
    if v_row.status in ('sent', 'dead') or (v_row.status <> 'sending' and p_outcome <> 'sent') then
        -- Already settled, or a late report after the lease passed to someone else: keep what is recorded,
        -- except that a real delivery always counts.
        if p_outcome <> 'sent' or v_row.status = 'sent' then
            return v_row.status;
        end if;
    end if;

    v_status := case
        when p_outcome = 'sent' then 'sent'
        when p_outcome = 'permanent' or v_row.attempts >= v_row.max_attempts then 'dead'
        else 'pending'
    end;
    update monitoring.notifications as n
       set status = v_status,
           lease_until = null,
           last_status_code = p_status_code,
           last_error = pg_catalog.left(p_error, 2000),
           provider_id = coalesce(p_provider_id, n.provider_id),
           delivered_to = array(
               select distinct d.r from pg_catalog.unnest(n.delivered_to || coalesce(p_delivered, '{}')) as d (r)
                order by d.r),
           sent_at = case when v_status = 'sent' then p_now end,
           next_attempt_at = case
               -- The later of the provider's Retry-After and our own backoff (exponent capped: 30 s * 2^7 > 1 h),
               -- so a burst of 429s with short Retry-After values cannot use up the attempts in seconds.
               when v_status = 'pending' then p_now + greatest(
                   pg_catalog.make_interval(secs => coalesce(p_retry_after_seconds, 0)),
                   least(interval '30 seconds' * (2 ^ least(greatest(v_row.attempts - 1, 0), 7)), interval '1 hour'))
               else n.next_attempt_at
           end,
           updated_at = p_now
     where n.id = p_id;
    if v_status in ('sent', 'dead') then
        update monitoring.notifications as n
           set status = v_status, sent_at = case when v_status = 'sent' then p_now end, updated_at = p_now
         where n.group_id = p_id and n.status = 'grouped';
    end if;

    -- A notification about a dead channel that dies itself raises nothing more: no loop.
    if v_status in ('dead', 'sent') and (
        select a.alert_type from public.system_alerts as a where a.id = v_row.alert_id
    ) is distinct from 'notification_dead' then
        perform monitoring.observe_engine_rule(
            'notification_dead', pg_catalog.jsonb_build_object('channel', v_row.channel), v_status = 'dead',
            pg_catalog.jsonb_build_object(
                'summary', case when v_status = 'dead'
                    then pg_catalog.format('%s notification %s gave up after %s attempt(s): %s',
                        v_row.channel, v_row.id, v_row.attempts, coalesce(p_error, 'no error given'))
                    else pg_catalog.format('%s delivers again', v_row.channel)
                end,
                'notification_id', v_row.id,
                'status_code', p_status_code),
            p_now
        );
    end if;
    return v_status;
end;
$$;

comment on function monitoring.record_delivery(uuid, text, integer, text, integer, text, timestamptz, text, text[]) is
'Records a delivery attempt: sent, retry later (backoff or Retry-After), or dead (raises notification_dead).';

revoke execute on function monitoring.record_delivery(
    uuid, text, integer, text, integer, text, timestamptz, text, text[]
)
from public, anon, authenticated;
grant execute on function monitoring.record_delivery(
    uuid, text, integer, text, integer, text, timestamptz, text, text[]
)
to service_role;
