-- monitoring.evaluate(rule default null, now default now()): one row per series evaluated
-- (rule, labels, value, threshold, state, alert_id, summary), so a DBA sees the answer in psql.
-- With no rule: every enabled rule that is due (its evaluation_interval has passed since its last run), then the
-- escalations (monitoring.escalate), then the heartbeat; custom SQL rules are left to their own pg_cron jobs, which
-- bound each one with a statement timeout (monitoring.rules_schedule_custom). With a rule key: that rule now, due
-- or not (a disabled rule is reported, not evaluated).
-- Each rule runs under its own advisory lock (overlapping runs, e.g. pg_cron and a DBA, never double-fire) and in
-- its own subtransaction: a rule that raises is logged, raises one rule_error alert, and the others still run. A
-- custom rule's query cut off by its statement timeout is caught the same way; any other rule's cancel still
-- cancels the whole call.
-- Callers: pg_cron, deploy.py, service_role, and admins through the public check_* functions.
create or replace function monitoring.evaluate(p_rule text default null, p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
security definer
set search_path = ''
-- The rules' queries are small, but a plan over many partitions (a generic one, or a no-data look at the whole
-- table) can be estimated past jit_above_cost: compiling it would cost about 100 ms a call for nothing.
set jit = off
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_rule monitoring.rules;
    v_evaluated integer := 0;
    v_failed integer := 0;
    v_message text;
    v_sqlstate text;
    v_rule_started timestamptz;
    v_error_alert uuid;
begin
    perform monitoring.require_admin();
    if p_rule is not null and not exists (select from monitoring.rules as r where r.key = p_rule) then
        raise exception 'unknown rule %', pg_catalog.quote_literal(p_rule)
            using errcode = 'no_data_found', hint = 'List the rules with: select key from monitoring.rules;';
    end if;
    -- Closed hours of today's edge-function calls, so the daily quota rule reads only the open ones.
    perform monitoring.rollup_function_calls(p_now);

    for v_rule in
        select r.*
          from monitoring.rules as r
         where r.kind = 'metric'
           and (r.key = p_rule
                or (p_rule is null and r.enabled and r.metric_function is distinct from 'metric_custom_sql'))
         order by r.key
    loop
        if not v_rule.enabled then
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'disabled';
            alert_id := null;
            summary := 'rule is disabled (monitoring.rules.enabled = false)';
            return next;
            continue;
        end if;
        -- Keys are taken in key order by every caller, so two evaluations cannot deadlock.
        perform monitoring.lock_rule(v_rule.key);
        -- Re-checked under the lock: a run that waited for another sees its work and skips a rule not yet due.
        continue when p_rule is null and exists (
            select from monitoring.rule_runs as rr
             where rr.rule_key = v_rule.key
               and rr.evaluated_at <= p_now
               -- Slack (10 s, or a sixth of a shorter interval): pg_cron starts a job a little early or late
               and rr.evaluated_at > p_now - v_rule.evaluation_interval
                   + least(interval '10 seconds', v_rule.evaluation_interval / 6)
        );
        v_evaluated := v_evaluated + 1;
        v_rule_started := pg_catalog.clock_timestamp();
        begin
            return query select * from monitoring.evaluate_rule(v_rule, p_now);
        exception when others or query_canceled then
            get stacked diagnostics v_message = message_text, v_sqlstate = returned_sqlstate;
            if v_sqlstate = '57014' then
                if v_rule.metric_function is distinct from 'metric_custom_sql' then
                    raise;
                end if;
                v_message := pg_catalog.format('its query ran past its statement timeout of %s (%s)',
                    pg_catalog.current_setting('statement_timeout'), v_message);
            end if;
            v_failed := v_failed + 1;
            insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, duration_ms, error, sqlstate)
            values (
                v_rule.key, p_now, 'error',
                extract(epoch from pg_catalog.clock_timestamp() - v_rule_started) * 1000, v_message, v_sqlstate
            );
            -- Under v_rule's lock, which the rule_error series of this rule belongs to (p_lock => false).
            v_error_alert := monitoring.observe_engine_rule(
                'rule_error',
                pg_catalog.jsonb_build_object('rule', v_rule.key),
                true,
                pg_catalog.jsonb_build_object(
                    'summary', pg_catalog.format('rule %s failed: %s', v_rule.key, v_message), 'sqlstate', v_sqlstate),
                p_now,
                p_lock => false
            );
            rule := v_rule.key;
            labels := '{}'::jsonb;
            value := null;
            threshold := v_rule.threshold;
            state := 'error';
            alert_id := v_error_alert;
            summary := pg_catalog.format('%s (SQLSTATE %s)', v_message, v_sqlstate);
            return next;
        end;
    end loop;

    if p_rule is null then
        perform monitoring.escalate(p_now);
        insert into monitoring.heartbeat as h (
            id, last_evaluated_at, completed_at, duration_ms, rules_evaluated, rules_failed
        ) values (
            true, p_now, pg_catalog.clock_timestamp(),
            extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000, v_evaluated, v_failed
        )
        on conflict (id) do update
           set last_evaluated_at = excluded.last_evaluated_at,
               completed_at = excluded.completed_at,
               duration_ms = excluded.duration_ms,
               rules_evaluated = excluded.rules_evaluated,
               rules_failed = excluded.rules_failed;
    end if;
end;
$$;

comment on function monitoring.evaluate(text, timestamptz) is
'Evaluates due rules (or one rule) at p_now; the only way alerts are created, updated or resolved. Admins only.';

revoke execute on function monitoring.evaluate(text, timestamptz) from public, anon;
grant execute on function monitoring.evaluate(text, timestamptz) to authenticated, service_role;
