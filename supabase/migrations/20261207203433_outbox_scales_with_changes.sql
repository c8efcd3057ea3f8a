-- 20261207203433_outbox_scales_with_changes: written by `python deploy.py new-migration outbox_scales_with_changes`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- supalert:source sql/engine/skipped_breaches.sql sha256=10a321a8621a143e62a12a4126601e2dca322d0b57fecb41726145822dadcc5d
-- monitoring.skipped_breaches(rule key, fingerprint, before): returns (breaches, last_at): the evaluations of the
-- rule before `before` since the series' rule_state row was last written, when it was written breaching. Those are
-- the runs monitoring.evaluate_rule skipped the series in (a series that stays firing with the same value is
-- written only when a repeat is due), so they are occurrences an open alert's row does not count yet:
-- monitoring.apply_observation adds them at the series' next write, and the CLI and the dashboard add them to an
-- open alert they show. 0 and null when there are none. Owner only.
create or replace function monitoring.skipped_breaches(
    p_rule text, p_fingerprint text, p_before timestamptz default 'infinity'
)
returns table (breaches integer, last_at timestamptz)
language plpgsql
stable
set search_path = ''
-- plpgsql, not sql: its statement is planned once per session, not at each call (0.1 ms a call, measured: 0.6 s
-- of 5,000 alerts resolving in one evaluation).
as $$
begin
    return query
    select count(rr.id)::integer, max(rr.evaluated_at)
      from monitoring.rule_state as s
      join monitoring.rule_runs as rr
        on rr.rule_key = s.rule_key and rr.outcome <> 'error'
       and rr.evaluated_at > s.last_evaluated_at and rr.evaluated_at < p_before
     where s.rule_key = p_rule and s.fingerprint = p_fingerprint and s.last_verdict = 'breach';
end;
$$;

comment on function monitoring.skipped_breaches(text, text, timestamptz) is
'Breaching evaluations of a series since its state was last written (skipped, so not yet in its alert). Owner only.';

revoke execute on function monitoring.skipped_breaches(text, text, timestamptz) from public, anon, authenticated;
-- supalert:end sql/engine/skipped_breaches.sql

-- supalert:source sql/outbox/group_slot.sql sha256=d956ec41f5e25c991a3cb18784f2476cb50abe136cbbb8be81278425f35d77e1
-- monitoring.group_slot(group key, channel, event, group wait, group interval, now): returns when a new outbox row
-- of a grouped rule's alert is due, Alertmanager's timing: with the group's members already waiting to go out
-- together, at their time (it joins them); within p_interval of the group's last message, p_interval after it (at
-- most one message per channel per group interval); otherwise p_wait from now (a new group waits for the
-- alerts that come with it). Engine only (enqueue_notifications).
create or replace function monitoring.group_slot(
    p_group_key text, p_channel text, p_event text, p_wait interval, p_interval interval, p_now timestamptz
)
returns timestamptz
language plpgsql
stable
set search_path = ''
-- plpgsql, not sql: its statement is planned once per session, not at each call (0.2 ms a call, measured).
as $$
begin
    -- First and last by the index's order, not min() and max(): with the outbox's statistics from before a
    -- group's rows arrived, the planner aggregated every row of the group for each new one (10,000 alerts of
    -- one group opening together: 2 ms each, 21 s in all, measured).
    return coalesce(
        (select n.next_attempt_at
           from monitoring.notifications as n
          where n.group_key = p_group_key and n.channel = p_channel and n.event = p_event
            and n.status = 'pending' and n.alert_id is not null and n.group_id is null and n.attempts = 0
            and n.grouped_at is null
          order by n.next_attempt_at
          limit 1),
        (select l.next_slot
           from (select n.grouped_at + p_interval as next_slot
                   from monitoring.notifications as n
                  where n.group_key = p_group_key and n.channel = p_channel and n.event = p_event
                    and n.grouped_at is not null
                  order by n.grouped_at desc
                  limit 1) as l
          where l.next_slot > p_now),
        p_now + p_wait
    );
end;
$$;

comment on function monitoring.group_slot(text, text, text, interval, interval, timestamptz) is
'When a new grouped outbox row is due (group wait, group interval). Engine only.';

revoke execute on function monitoring.group_slot(text, text, text, interval, interval, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/outbox/group_slot.sql
