-- monitoring.build_digest(now): returns the number of digest notifications written. Collects every held
-- notification (routes with digest = true, e.g. info alerts) into one 'digest' notification per channel whose
-- payload lists them, and marks them digested. Run daily by the supalert-daily-digest job; safe to run again.
create or replace function monitoring.build_digest(p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_channel text;
    v_ids uuid[];
    v_items jsonb;
    v_count integer;
    v_digest uuid;
    v_written integer := 0;
begin
    -- Two runs at once must not both send a digest.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:digest', 0));
    for v_channel in
        select distinct n.channel from monitoring.notifications as n where n.status = 'held' order by n.channel
    loop
        -- Lock the rows first and build the digest from exactly those, so a row held meanwhile waits for the next.
        select pg_catalog.array_agg(l.id)
          into v_ids
          from (select n.id from monitoring.notifications as n
                 where n.status = 'held' and n.channel = v_channel for update) as l;
        select pg_catalog.jsonb_agg(n.payload order by n.created_at), pg_catalog.count(*)
          into v_items, v_count
          from monitoring.notifications as n
         where n.id = any (v_ids);
        insert into monitoring.notifications (
            alert_id, event, channel, status, payload, idempotency_key, next_attempt_at, created_at, updated_at
        ) values (
            null, 'digest', v_channel, 'pending',
            pg_catalog.jsonb_build_object(
                'event', 'digest',
                'severity', 'info',
                'title', pg_catalog.format('Daily digest: %s notification(s)', v_count),
                'message', pg_catalog.format('%s low-urgency alert event(s) since the last digest.', v_count),
                'items', v_items,
                'labels', '{}'::jsonb,
                'metadata', '{}'::jsonb
            ),
            'supalert-digest-' || pg_catalog.gen_random_uuid()::text,
            p_now, p_now, p_now
        )
        returning id into v_digest;
        update monitoring.notifications as n
           set status = 'digested', digest_id = v_digest, updated_at = p_now
         where n.id = any (v_ids);
        v_written := v_written + 1;
    end loop;
    return v_written;
end;
$$;

comment on function monitoring.build_digest(timestamptz) is
'Turns held (digest-routed) notifications into one digest notification per channel. Daily job.';

revoke execute on function monitoring.build_digest(timestamptz) from public, anon, authenticated;
