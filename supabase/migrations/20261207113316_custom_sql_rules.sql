-- 20261207113316_custom_sql_rules: written by `python deploy.py new-migration custom_sql_rules`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- supalert:source sql/engine/evaluate.sql sha256=02ede08735fb756da06af4632ef665c78f3bda457a7ac6d73bc6cdf7b69cc38f
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
-- supalert:end sql/engine/evaluate.sql

-- supalert:source sql/outbox/runbook_url.sql sha256=1047a8850a5ccb4d64ca7579340740a6ba0f4cb712568e72504ab0b946065862
-- monitoring.runbook_url(rule key): the link a notification of this rule carries to its runbook: the rule's own
-- runbook_url when set (a custom rule's, or a team's wiki page), else the dashboard's page of the shipped runbook
-- (monitoring.settings.dashboard_url + /runbooks/<key>, served from rules/<key>.md), else null (no dashboard
-- address is set, or a custom SQL rule without a runbook_url: it has no shipped page). Engine only (the outbox).
create or replace function monitoring.runbook_url(p_rule text)
returns text
language sql
stable
set search_path = ''
as $$
    select coalesce(
        r.runbook_url,
        case when r.metric_function is distinct from 'metric_custom_sql'
             then pg_catalog.rtrim(s.dashboard_url, '/') || '/runbooks/' || r.key end
    )
      from monitoring.rules as r
      left join monitoring.settings as s on true
     where r.key = p_rule
$$;

comment on function monitoring.runbook_url(text) is
'The runbook link of a rule: its runbook_url, else the dashboard''s /runbooks/<key>, else null. Engine only.';

revoke execute on function monitoring.runbook_url(text) from public, anon, authenticated;
-- supalert:end sql/outbox/runbook_url.sql

-- supalert:source sql/monitor/custom_rule_schedule.sql sha256=ef1d31a858399d8104bfeeb122a1f1539973b0a44be2f568e73c19a9690554e2
-- monitoring.custom_rule_schedule(every): returns the pg_cron schedule that runs a job exactly every `every`:
-- 'N seconds' (1 to 59 s), '*/N * * * *' (minutes dividing an hour), '0 */N * * *' (hours dividing a day),
-- '0 0 * * *' (a day), or null for an interval no schedule repeats evenly (90 s, 7 min). Called by
-- monitoring.rules_schedule_custom; immutable, no data read.
create or replace function monitoring.custom_rule_schedule(p_every interval)
returns text
language sql
immutable
set search_path = ''
as $$
    with s as (select extract(epoch from p_every)::numeric as seconds)
    select case
        when s.seconds between 1 and 59 and s.seconds = pg_catalog.trunc(s.seconds)
            then pg_catalog.format('%s seconds', s.seconds::integer)
        when s.seconds = 60 then '* * * * *'
        when s.seconds < 3600 and s.seconds % 60 = 0 and 3600 % s.seconds = 0
            then pg_catalog.format('*/%s * * * *', (s.seconds / 60)::integer)
        when s.seconds = 3600 then '0 * * * *'
        when s.seconds < 86400 and s.seconds % 3600 = 0 and 86400 % s.seconds = 0
            then pg_catalog.format('0 */%s * * *', (s.seconds / 3600)::integer)
        when s.seconds = 86400 then '0 0 * * *'
    end
      from s
$$;

comment on function monitoring.custom_rule_schedule(interval) is
'The pg_cron schedule that repeats exactly every p_every (seconds, minutes, hours or a day), else null.';

revoke execute on function monitoring.custom_rule_schedule(interval) from public, anon, authenticated;
-- supalert:end sql/monitor/custom_rule_schedule.sql

-- supalert:source sql/monitor/rules_schedule_custom.sql sha256=ea2fd3200d09c1437ff9d706796e3c64a3530f7eaf40331571ff6ad9bde5041f
-- monitoring.rules_schedule_custom(): trigger after a change of monitoring.rules; returns null. Keeps one pg_cron
-- job per enabled custom rule (metric_function metric_custom_sql), supalert-rule-<key>, every evaluation_interval,
-- whose command sets the rule's statement timeout (params.timeout_seconds) before it evaluates the rule: pg_cron
-- over libpq runs the two as separate statements of one query, so the timeout bounds that one evaluation (a
-- timeout set inside a function arms no timer). Checks params and refuses where pg_cron is not installed, naming
-- the rule and the fix. A disabled or removed custom rule loses its job. Trigger only.
create or replace function monitoring.rules_schedule_custom()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_schedule text;
    v_timeout numeric;
    v_cron integer[];
begin
    if tg_op <> 'INSERT' and old.metric_function = 'metric_custom_sql' and (
        tg_op = 'DELETE' or not new.enabled or new.metric_function is distinct from 'metric_custom_sql'
    ) and exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
        perform cron.unschedule(j.jobid)
           from cron.job as j
          where j.jobname = 'supalert-rule-' || old.key and j.username = current_user;
    end if;
    if tg_op = 'DELETE' or new.metric_function is distinct from 'metric_custom_sql' then
        return null;
    end if;

    if pg_catalog.btrim(coalesce(new.params ->> 'sql', '')) = '' then
        raise exception 'custom rule %: params.sql is empty', new.key
            using errcode = 'check_violation', column = 'params', table = 'rules', schema = 'monitoring',
                  hint = 'Add it with: python deploy.py rules add KEY --sql "select ... as value" --threshold N';
    end if;
    v_timeout := case when pg_catalog.jsonb_typeof(new.params -> 'timeout_seconds') = 'number'
                      then (new.params ->> 'timeout_seconds')::numeric end;
    if v_timeout is null or v_timeout <> pg_catalog.trunc(v_timeout) or v_timeout not between 1 and 300
       or pg_catalog.make_interval(secs => v_timeout::double precision) >= new.evaluation_interval then
        raise exception 'custom rule %: params.timeout_seconds % must be a whole number of seconds from 1 to 300, '
            'shorter than its evaluation_interval %', new.key, coalesce(new.params ->> 'timeout_seconds', 'null'),
            monitoring.describe_interval(new.evaluation_interval)
            using errcode = 'check_violation', column = 'params', table = 'rules', schema = 'monitoring',
                  hint = 'e.g. --timeout 5s (the default) with --every 1m';
    end if;
    v_schedule := monitoring.custom_rule_schedule(new.evaluation_interval);
    if v_schedule is null then
        raise exception 'custom rule %: evaluation_interval % is not one a pg_cron schedule repeats evenly',
            new.key, monitoring.describe_interval(new.evaluation_interval)
            using errcode = 'check_violation', column = 'evaluation_interval', table = 'rules', schema = 'monitoring',
                  hint = 'Use 1 to 59 seconds, minutes that divide an hour (1, 2, 5, 10, 15, 30), hours that divide '
                         'a day, or 1 day.';
    end if;
    select pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::integer[]
      into v_cron
      from pg_catalog.pg_extension as e where e.extname = 'pg_cron';
    if v_cron is null then
        raise exception 'custom rule %: pg_cron is not installed in this database, and a custom rule runs as its '
            'own pg_cron job (under its own statement timeout)', new.key
            using errcode = 'object_not_in_prerequisite_state',
                  hint = 'Enable pg_cron (Dashboard > Database > Extensions, or create extension pg_cron), then add the rule again.';
    end if;
    if v_schedule like '% seconds' and v_cron < array[1, 5] then
        raise exception 'custom rule %: pg_cron % has no schedules in seconds (evaluation_interval %)', new.key,
            pg_catalog.array_to_string(v_cron, '.'), monitoring.describe_interval(new.evaluation_interval)
            using errcode = 'feature_not_supported',
                  hint = 'Use an evaluation_interval of a minute or more, or pg_cron 1.5 or later (Supabase has 1.6).';
    end if;
    if new.enabled then
        perform cron.schedule(
            'supalert-rule-' || new.key,
            v_schedule,
            pg_catalog.format(
                'set statement_timeout = %L; select count(*) from monitoring.evaluate(%L)',
                v_timeout::integer || 's', new.key
            )
        );
    end if;
    return null;
end;
$$;

comment on function monitoring.rules_schedule_custom() is
'Trigger: one pg_cron job supalert-rule-<key> per enabled custom SQL rule, under its statement timeout.';

revoke execute on function monitoring.rules_schedule_custom() from public, anon, authenticated;
-- supalert:end sql/monitor/rules_schedule_custom.sql

-- supalert:source sql/metrics/metric_custom_sql.sql sha256=515cf057cefc0952709e56dedfe204169d3ac1d82d1ce9b4539156e51404320d
-- monitoring.metric_custom_sql(rule, now): one series per row of a custom rule's own query (params.sql): its
-- column value is the value, every other column a label (as text; a null label is left out). No rows: no data.
-- The query runs read-only in a subtransaction that is always rolled back, so a write, DDL or a function that
-- writes fails and changes nothing; its time limit is the statement timeout its pg_cron job sets
-- (monitoring.rules_schedule_custom). It runs with the empty search_path of every supalert function, so it names
-- tables with their schema. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_custom_sql(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_rows jsonb;
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_query_ms numeric;
    v_duplicate jsonb;
begin
    begin
        -- Reverted with the subtransaction: the rest of the evaluation writes as usual.
        perform pg_catalog.set_config('transaction_read_only', 'on', true);
        -- The newlines keep a trailing -- comment of the query from swallowing the closing parenthesis.
        execute pg_catalog.format(
            e'select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(q)), ''[]'') from (\n%s\n) as q',
            p_rule.params ->> 'sql'
        ) into v_rows;
        raise exception using errcode = 'SU001';
    exception when sqlstate 'SU001' then
        null;  -- the query's subtransaction rolled back on purpose: nothing it did survives
    end;
    v_query_ms := pg_catalog.round(
        (extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000)::numeric, 1);

    if pg_catalog.jsonb_array_length(v_rows) > 0 and not (v_rows -> 0 ? 'value') then
        raise exception 'custom rule %: its query returns no column named value (it returns %)',
            p_rule.key, (select pg_catalog.string_agg(k, ', ') from pg_catalog.jsonb_object_keys(v_rows -> 0) as k)
            using errcode = 'invalid_column_reference',
                  hint = 'Name the measured column value: select count(*) as value from ...';
    end if;

    -- Two rows with the same labels would be one series measured twice: name them rather than pick one.
    select d.labels into v_duplicate
      from (select r.row - 'value' as labels from pg_catalog.jsonb_array_elements(v_rows) as r (row)) as d
     group by d.labels having count(*) > 1 limit 1;
    if v_duplicate is not null then
        raise exception 'custom rule %: its query returns more than one row with the labels %', p_rule.key, v_duplicate
            using errcode = 'cardinality_violation',
                  hint = 'Each row is one series: group by the label columns, or add a column that tells the rows apart.';
    end if;

    return query
    with measured as (
        select
            (r.row ->> 'value')::numeric as value,
            coalesce((select pg_catalog.jsonb_object_agg(l.key, l.value #>> '{}')
                        from pg_catalog.jsonb_each(r.row - 'value') as l
                       where pg_catalog.jsonb_typeof(l.value) <> 'null'), '{}'::jsonb) as labels
          from pg_catalog.jsonb_array_elements(v_rows) as r (row)
    )
    select
        m.value,
        m.labels,
        pg_catalog.jsonb_build_object(
            'rule', p_rule.key,
            'measured_at', p_now,
            'query_ms', v_query_ms,
            'summary', pg_catalog.format('%s = %s%s', p_rule.key, coalesce(m.value::text, 'null'),
                case when m.labels = '{}'::jsonb then ''
                     else ' for ' || (select pg_catalog.string_agg(l.key || '=' || l.value, ', ' order by l.key)
                                        from pg_catalog.jsonb_each_text(m.labels) as l) end)
        ),
        m.value is null
      from measured as m
    union all
    select null::numeric, '{}'::jsonb,
           pg_catalog.jsonb_build_object('rule', p_rule.key, 'measured_at', p_now, 'query_ms', v_query_ms,
                                         'summary', 'the query returned no rows'),
           true
     where pg_catalog.jsonb_array_length(v_rows) = 0;

end;
$$;

comment on function monitoring.metric_custom_sql(monitoring.rules, timestamptz) is
'Metric: a custom rule''s own read-only query (params.sql); column value, the other columns labels.';

revoke execute on function monitoring.metric_custom_sql(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_custom_sql.sql

-- Custom SQL rules (`python deploy.py rules add`): each enabled one runs as its own pg_cron job.
create or replace trigger rules_schedule_custom
after insert or delete or update of metric_function, params, evaluation_interval, enabled on monitoring.rules
for each row execute function monitoring.rules_schedule_custom();
