-- 20261206130147_one_home_for_engine_facts: written by `python deploy.py new-migration one_home_for_engine_facts`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.

-- One home for each engine fact: alert identity (monitoring.fingerprint), the rule lock (monitoring.lock_rule), the
-- engine rules' alerts (monitoring.observe_engine_rule) and the severities with their rank (monitoring.severities).

-- The severities, most urgent first. Every severity column refers to this table instead of repeating the list in
-- a CHECK; the rank orders alerts (monitoring.severity_rank). A table rather than a domain: the rank is data beside
-- the name, and a column changed to a domain with a constraint is rewritten (ALTER TABLE ... TYPE), which an app's
-- system_alerts should not pay for; a foreign key added NOT VALID and then validated only reads it.
create table if not exists monitoring.severities (
    severity text primary key,
    rank integer not null unique,
    constraint severities_name_normalised check (severity = lower(btrim(severity)) and severity <> '')
);
comment on table monitoring.severities is
'supalert''s severities and their rank (1 = most urgent); the severity columns refer to it.';
revoke all on table monitoring.severities from public, anon, authenticated;
insert into monitoring.severities (severity, rank) values ('critical', 1), ('high', 2), ('warning', 3), ('info', 4)
on conflict (severity) do nothing;

-- Each CHECK that listed the four becomes a reference, where supalert made that CHECK (an adopted system_alerts
-- keeps the app's own rules).
do $severities$
declare
    v_table text;
    v_check text;
begin
    for v_table, v_check in
        select c.conrelid::regclass::text, c.conname
          from pg_catalog.pg_constraint as c
         where c.contype = 'c'
           and c.conname in ('system_alerts_severity_known', 'rules_severity_known', 'silences_severity_known',
                             'routes_severity_known', 'severity_aliases_severity_known')
           and c.connamespace in ('public'::regnamespace, 'monitoring'::regnamespace)
    loop
        execute format('alter table %s drop constraint %I', v_table, v_check);
        execute format(
            'alter table %s add constraint %I foreign key (severity) references monitoring.severities (severity)'
            ' not valid', v_table, v_check);
        execute format('alter table %s validate constraint %I', v_table, v_check);
    end loop;
end
$severities$;

-- supalert:source sql/functions/apply_observation.sql sha256=f220dda29b005fd5874ae06e5aa0c8c6251217fc43ab3600dac76d681702b222
-- monitoring.apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
-- The alert lifecycle for one series of one rule, the only code that turns observations into alerts (notify,
-- acknowledge_alert and resolve_alert are the direct actions of an app or a person):
--   breach  -> pending until evaluations_before_firing breaches in a row, then one firing alert; further breaches
--              bump occurrences/last_seen_at/message/metadata of that same alert (firing or acknowledged);
--   clear   -> (value back past the resolve threshold) resolves the open alert;
--   between -> (past the resolve threshold but not the firing one) keeps an open alert, resets a pending count;
--   no data -> per rule.on_no_data: keep (nothing changes), resolve (as clear) or alert (as breach).
-- Firing, repeat (still firing after the rule's repeat_interval, unless acknowledged) and resolve write their
-- notifications in the same transaction (monitoring.enqueue_notifications).
-- Callers hold the rule's advisory lock (monitoring.evaluate). Engine only.
create or replace function monitoring.apply_observation(
    p_rule monitoring.rules,
    p_labels jsonb,
    p_value numeric,
    p_detail jsonb,
    p_no_data boolean,
    p_now timestamptz
)
returns table (state text, alert_id uuid, fingerprint text)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_fingerprint text := monitoring.fingerprint(p_labels);
    v_resolve numeric := coalesce(p_rule.resolve_threshold, p_rule.threshold);
    v_verdict text;
    v_count integer;
    v_pending_since timestamptz;
    v_alert_id uuid;
    v_alert_status text;
    v_state text;
    v_title text;
    v_message text;
    v_metadata jsonb;
begin
    select s.consecutive_breaches, s.pending_since
      into v_count, v_pending_since
      from monitoring.rule_state as s
     where s.rule_key = p_rule.key and s.fingerprint = v_fingerprint
       for update;
    v_count := coalesce(v_count, 0);

    select a.id, a.status
      into v_alert_id, v_alert_status
      from public.system_alerts as a
     where a.alert_type = p_rule.key and a.fingerprint = v_fingerprint and a.resolved_at is null
       for update;

    if p_no_data then
        v_verdict := case p_rule.on_no_data when 'resolve' then 'clear' when 'alert' then 'breach' else 'no_data' end;
    elsif monitoring.breaches(p_value, p_rule.comparison, p_rule.threshold) then
        v_verdict := 'breach';
    elsif not monitoring.breaches(p_value, p_rule.comparison, v_resolve) then
        v_verdict := 'clear';
    else
        v_verdict := 'between';
    end if;

    v_title := p_rule.title || case
        when p_labels = '{}'::jsonb then ''
        else ' (' || (select pg_catalog.string_agg(l.key || '=' || l.value, ', ' order by l.key)
                        from pg_catalog.jsonb_each_text(p_labels) as l) || ')'
    end;
    v_message := coalesce(p_detail ->> 'summary', pg_catalog.format('%s = %s', p_rule.key, coalesce(p_value::text, 'no data')))
        || pg_catalog.format(' (threshold: %s %s)', p_rule.comparison, p_rule.threshold);
    v_metadata := pg_catalog.jsonb_build_object(
        'rule', p_rule.key,
        'value', p_value,
        'threshold', p_rule.threshold,
        'resolve_threshold', v_resolve,
        'comparison', p_rule.comparison,
        'window', p_rule.time_window::text,
        'labels', p_rule.labels || p_labels,
        'detail', p_detail,
        'runbook_url', p_rule.runbook_url
    );

    if v_verdict = 'breach' then
        v_count := v_count + 1;
        v_pending_since := coalesce(v_pending_since, p_now);
        if v_alert_id is not null then
            update public.system_alerts as a
               set occurrences = a.occurrences + 1,
                   last_seen_at = p_now,
                   message = v_message,
                   metadata = v_metadata
             where a.id = v_alert_id;
            v_state := v_alert_status;
            -- Still firing (not acknowledged) and nobody told for a repeat interval: tell again.
            if v_alert_status = 'firing' and not exists (
                select from monitoring.notifications as n
                 where n.alert_id = v_alert_id and n.event in ('firing', 'repeat')
                   and n.created_at > p_now - p_rule.repeat_interval
            ) then
                perform monitoring.enqueue_notifications(v_alert_id, 'repeat', p_now);
            end if;
        elsif v_count >= p_rule.evaluations_before_firing then
            insert into public.system_alerts (
                alert_type, title, message, severity, metadata, fingerprint, created_at, last_seen_at
            ) values (
                p_rule.key, v_title, v_message, p_rule.severity, v_metadata, v_fingerprint, p_now, p_now
            )
            returning id into v_alert_id;
            v_state := 'firing';
            perform monitoring.enqueue_notifications(v_alert_id, 'firing', p_now);
        else
            v_state := 'pending';
        end if;
    elsif v_verdict = 'clear' then
        v_count := 0;
        v_pending_since := null;
        if v_alert_id is not null then
            update public.system_alerts as a
               set status = 'resolved',
                   resolved_at = p_now,
                   metadata = a.metadata || pg_catalog.jsonb_build_object('resolved_value', p_value)
             where a.id = v_alert_id;
            v_state := 'resolved';
            perform monitoring.enqueue_notifications(v_alert_id, 'resolved', p_now);
        else
            v_state := case when p_no_data then 'no_data' else 'ok' end;
        end if;
    elsif v_verdict = 'between' then
        if v_alert_id is null then
            v_count := 0;
            v_pending_since := null;
        end if;
        v_state := coalesce(v_alert_status, 'ok');
    else
        v_state := 'no_data';
    end if;

    insert into monitoring.rule_state as s (
        rule_key, fingerprint, labels, consecutive_breaches, pending_since, last_value, last_state, last_evaluated_at
    ) values (
        p_rule.key, v_fingerprint, p_labels, v_count, v_pending_since, p_value, v_state, p_now
    )
    on conflict (rule_key, fingerprint) do update
       set labels = excluded.labels,
           consecutive_breaches = excluded.consecutive_breaches,
           pending_since = excluded.pending_since,
           last_value = coalesce(excluded.last_value, s.last_value),
           last_state = excluded.last_state,
           last_evaluated_at = excluded.last_evaluated_at;

    state := v_state;
    alert_id := v_alert_id;
    fingerprint := v_fingerprint;
    return next;
end;
$$;

comment on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz) is
'The alert lifecycle for one series: pending, firing, repeat, resolve, no data. Engine only (monitoring.evaluate).';

revoke execute on function monitoring.apply_observation(monitoring.rules, jsonb, numeric, jsonb, boolean, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/functions/apply_observation.sql

-- supalert:source sql/functions/evaluate.sql sha256=41d4c19a16466b0e4c7d341e6ffdffbd9356094cf138e079b9b9cbfeb74d6c30
-- monitoring.evaluate(rule default null, now default now()): one row per series evaluated
-- (rule, labels, value, threshold, state, alert_id, summary), so a DBA sees the answer in psql.
-- With no rule: every enabled rule that is due (its evaluation_interval has passed since its last run), then the
-- heartbeat. With a rule key: that rule now, due or not (a disabled rule is reported, not evaluated).
-- Each rule runs under its own advisory lock (overlapping runs, e.g. pg_cron and a DBA, never double-fire) and in
-- its own subtransaction: a rule that raises is logged, raises one rule_error alert, and the others still run.
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
           and (r.key = p_rule or (p_rule is null and r.enabled))
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
        exception when others then
            get stacked diagnostics v_message = message_text, v_sqlstate = returned_sqlstate;
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
-- supalert:end sql/functions/evaluate.sql

-- supalert:source sql/functions/evaluate_rule.sql sha256=b19fc8f9d39e23f3aa3250a7eab9243285d40fa7fd7ebb0d14a3b1ec8ddeb235
-- monitoring.evaluate_rule(rule, now): one row per series (rule, labels, value, threshold, state, alert_id,
-- summary). Runs the rule's metric function, applies each series to the lifecycle, treats series that vanished
-- from the metric as no data, logs the run, and resolves the rule's rule_error alert now that it works.
-- Raises whatever the metric function raises (monitoring.evaluate catches it). Engine only.
create or replace function monitoring.evaluate_rule(p_rule monitoring.rules, p_now timestamptz)
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_seen text[] := '{}'::text[];
    v_series integer := 0;
    v_with_data integer := 0;
    v_max numeric;
    -- One row of the metric function, in typed variables (a record from EXECUTE is opaque to plpgsql_check).
    v_value numeric;
    v_labels jsonb;
    v_detail jsonb;
    v_no_data boolean;
    v_missing record;
    v_outcome record;
begin
    for v_value, v_labels, v_detail, v_no_data in execute pg_catalog.format(
        'select m.value, m.labels, m.detail, m.no_data from monitoring.%I($1, $2) as m', p_rule.metric_function
    ) using p_rule, p_now
    loop
        select o.state, o.alert_id, o.fingerprint
          into v_outcome
          from monitoring.apply_observation(
              p_rule,
              coalesce(v_labels, '{}'::jsonb),
              v_value,
              coalesce(v_detail, '{}'::jsonb),
              coalesce(v_no_data, false) or v_value is null,
              p_now
          ) as o;
        v_seen := v_seen || v_outcome.fingerprint;
        v_series := v_series + 1;
        if v_value is not null and not coalesce(v_no_data, false) then
            v_with_data := v_with_data + 1;
            v_max := greatest(v_max, v_value);
        end if;
        rule := p_rule.key;
        labels := coalesce(v_labels, '{}'::jsonb);
        value := v_value;
        threshold := p_rule.threshold;
        state := v_outcome.state;
        alert_id := v_outcome.alert_id;
        summary := coalesce(v_detail ->> 'summary', case when v_value is null then 'no data' end);
        return next;
    end loop;

    -- A series with an open alert or a pending count that the metric no longer returns has no data this run.
    for v_missing in
        select s.labels
          from monitoring.rule_state as s
         where s.rule_key = p_rule.key
           and not (s.fingerprint = any (v_seen))
           and (s.consecutive_breaches > 0
                or exists (select from public.system_alerts as a
                            where a.alert_type = p_rule.key and a.fingerprint = s.fingerprint
                              and a.resolved_at is null))
    loop
        select o.state, o.alert_id
          into v_outcome
          from monitoring.apply_observation(
              p_rule, v_missing.labels, null, '{"summary": "series missing from the metric"}'::jsonb, true, p_now
          ) as o;
        rule := p_rule.key;
        labels := v_missing.labels;
        value := null;
        threshold := p_rule.threshold;
        state := v_outcome.state;
        alert_id := v_outcome.alert_id;
        summary := 'series missing from the metric';
        return next;
    end loop;

    insert into monitoring.rule_runs (rule_key, evaluated_at, outcome, series, value, duration_ms)
    values (
        p_rule.key, p_now, case when v_with_data = 0 then 'no_data' else 'ok' end, v_series, v_max,
        extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000
    );

    -- The rule works: its rule_error alert, if any, is resolved (under this rule's lock, as it was raised).
    perform monitoring.observe_engine_rule(
        'rule_error', pg_catalog.jsonb_build_object('rule', p_rule.key), false,
        '{"summary": "the rule evaluates again"}'::jsonb, p_now, p_lock => false
    );
end;
$$;

comment on function monitoring.evaluate_rule(monitoring.rules, timestamptz) is
'Evaluates one rule at p_now: every series through the lifecycle, the run logged. Engine only.';

revoke execute on function monitoring.evaluate_rule(monitoring.rules, timestamptz) from public, anon, authenticated;
-- supalert:end sql/functions/evaluate_rule.sql

-- supalert:source sql/functions/fingerprint.sql sha256=1679fb08143bbf39ed68cbc45ae5e18f492e0a890e0a5d7d878ebc970bfb9290
-- monitoring.fingerprint(labels): returns the identity of one series of a rule (md5 of its labels as jsonb
-- prints them: keys sorted, so the same labels give the same fingerprint whatever order they were built in).
-- The one definition of alert identity: one open alert per (rule, fingerprint). Engine only.
create or replace function monitoring.fingerprint(p_labels jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.md5(coalesce(p_labels, '{}'::jsonb)::text)
$$;

comment on function monitoring.fingerprint(jsonb) is
'The identity of a series (md5 of its labels): one open alert per rule and fingerprint. Engine only.';

revoke execute on function monitoring.fingerprint(jsonb) from public, anon, authenticated;
-- supalert:end sql/functions/fingerprint.sql

-- supalert:source sql/functions/lock_rule.sql sha256=b5eed9f7ae3a7ee8d2a0df4a7c85a351c50cea35d40feb39f8ea76503242dc6f
-- monitoring.lock_rule(rule key): returns nothing once this transaction holds the rule's advisory lock (released
-- at commit). Everything that changes a rule's alerts or state takes it first, so an evaluation, a resolve and a
-- delivery outcome for the same rule run one after another; callers that take several take them in key order, so
-- they cannot deadlock. The one definition of the lock key. Engine only.
create or replace function monitoring.lock_rule(p_key text)
returns void
language sql
set search_path = ''
as $$
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('supalert:rule:' || p_key, 0))
$$;

comment on function monitoring.lock_rule(text) is
'Takes the rule''s transaction advisory lock (key ''supalert:rule:'' || key). Engine only.';

revoke execute on function monitoring.lock_rule(text) from public, anon, authenticated;
-- supalert:end sql/functions/lock_rule.sql

-- supalert:source sql/functions/notify.sql sha256=5abef6785785d6e5a685bb31ef80c4bc66d18af8fcdae46fb49b156815e87947
-- monitoring.notify(severity, title, message, category, metadata, now): returns (alert_id, notifications).
-- What send-alert-notification records: an alert raised by the app or a person rather than a rule (the seed's
-- body {severity, title, message, category}), with its outbox rows, in one transaction. Severity 'medium' means
-- warning. Category system_test is a test: recorded already resolved (it must not linger as an open incident) and
-- sent at once even where the route is a digest. Admins, service_role and database logins.
create or replace function monitoring.notify(
    p_severity text,
    p_title text,
    p_message text,
    p_category text,
    p_metadata jsonb default '{}'::jsonb,
    p_now timestamptz default pg_catalog.now()
)
returns table (alert_id uuid, notifications integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_severity text := pg_catalog.lower(pg_catalog.btrim(p_severity));
    v_test boolean := p_category = 'system_test';
    v_id uuid;
begin
    perform monitoring.require_admin();
    v_severity := case v_severity when 'medium' then 'warning' else v_severity end;
    if v_severity is null or monitoring.severity_rank(v_severity) is null then
        raise exception 'severity must be %, not %',
            (select pg_catalog.string_agg(s.severity, ', ' order by s.rank) from monitoring.severities as s),
            coalesce(p_severity, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(pg_catalog.btrim(p_title), '') = '' then
        raise exception 'title must not be empty' using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(p_category, '') !~ '^[A-Za-z0-9_.:-]{1,100}$' then
        raise exception 'category must be 1 to 100 letters, digits or _ . : -' using errcode = 'invalid_parameter_value';
    end if;
    insert into public.system_alerts (
        alert_type, title, message, severity, metadata, fingerprint, status, resolved_at, created_at, last_seen_at
    ) values (
        p_category, p_title, coalesce(p_message, ''), v_severity,
        coalesce(p_metadata, '{}'::jsonb) || pg_catalog.jsonb_build_object(
            'source', 'send-alert-notification', 'category', p_category, 'labels', '{}'::jsonb),
        'manual:' || pg_catalog.gen_random_uuid()::text,
        case when v_test then 'resolved' else 'firing' end,
        case when v_test then p_now end,
        p_now, p_now
    )
    returning id into v_id;
    alert_id := v_id;
    notifications := monitoring.enqueue_notifications(v_id, case when v_test then 'test' else 'firing' end, p_now);
    return next;
end;
$$;

comment on function monitoring.notify(text, text, text, text, jsonb, timestamptz) is
'Records an alert sent by the app or a person, with its notifications. For send-alert-notification.';

revoke execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz) from public, anon;
grant execute on function monitoring.notify(text, text, text, text, jsonb, timestamptz) to authenticated, service_role;
-- supalert:end sql/functions/notify.sql

-- supalert:source sql/functions/observe_engine_rule.sql sha256=2d8f87338e10c2310e32a61ced7b7e93c084790daf109e22b904cb4f1ad03d51
-- monitoring.observe_engine_rule(key, labels, firing, detail, now, value, lock): returns the id of the alert the
-- observation opened, bumped or resolved, or null when there was nothing to do (the rule disabled and the
-- observation firing; or clearing with no open alert and no pending count). The one way the engine's own rules
-- (rule_error, notification_dead, monitor_down: kind 'engine', never evaluated) raise and resolve their alerts,
-- through the same lifecycle as any rule (monitoring.apply_observation): routes, repeats, resolves and silences
-- apply. A disabled engine rule opens nothing but still resolves what it opened. `p_value` defaults to 1 when
-- firing, 0 when not. With p_lock (the default) the rule's lock is taken first; rule_error is called without it,
-- under the failing rule's own lock (its labels name that rule), which keeps the key order that prevents
-- deadlocks. Engine only.
create or replace function monitoring.observe_engine_rule(
    p_key text,
    p_labels jsonb,
    p_firing boolean,
    p_detail jsonb,
    p_now timestamptz,
    p_value numeric default null,
    p_lock boolean default true
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
    v_rule monitoring.rules;
    v_fingerprint text := monitoring.fingerprint(p_labels);
    v_alert_id uuid;
begin
    select r.* into v_rule from monitoring.rules as r where r.key = p_key and r.kind = 'engine';
    if not found then
        raise exception 'engine rule % does not exist', pg_catalog.quote_literal(p_key)
            using errcode = 'no_data_found', hint = 'Re-run python deploy.py migrate: the engine rules are seed data.';
    end if;
    if p_firing and not v_rule.enabled then
        return null;
    end if;
    -- Clearing what was never raised is the common case (every delivery that succeeds): no lock, no write.
    if not p_firing
       and not exists (select from public.system_alerts as a
                        where a.alert_type = p_key and a.fingerprint = v_fingerprint and a.resolved_at is null)
       and not exists (select from monitoring.rule_state as s
                        where s.rule_key = p_key and s.fingerprint = v_fingerprint and s.consecutive_breaches > 0)
    then
        return null;
    end if;
    if p_lock then
        perform monitoring.lock_rule(p_key);
    end if;
    select o.alert_id
      into v_alert_id
      from monitoring.apply_observation(
          v_rule, p_labels, coalesce(p_value, case when p_firing then 1 else 0 end), p_detail, false, p_now
      ) as o;
    return v_alert_id;
end;
$$;

comment on function monitoring.observe_engine_rule(text, jsonb, boolean, jsonb, timestamptz, numeric, boolean) is
'Raises, bumps or resolves an alert of an engine rule (rule_error, notification_dead, monitor_down). Engine only.';

revoke execute on function monitoring.observe_engine_rule(text, jsonb, boolean, jsonb, timestamptz, numeric, boolean)
from public, anon, authenticated;
-- supalert:end sql/functions/observe_engine_rule.sql

-- supalert:source sql/functions/record_delivery.sql sha256=f68f07fd98fab6987d4bff1d40da1599016d87062fe18335a0b6da72083fda0d
-- monitoring.record_delivery(id, outcome, status code, error, retry-after seconds, provider id, now): returns the
-- row's new status (sent, pending or dead). Outcomes: 'sent'; 'retry' (5xx, 429, timeout): due again after an
-- exponential backoff (30 s, 1, 2, 4 ... min, at most 1 h) or the provider's Retry-After, whichever is later,
-- and dead after max_attempts; 'permanent' (a 4xx that will not change): dead at once. A dead notification
-- opens (or bumps) a notification_dead alert for its channel, which is routed away from that channel; a sent one
-- resolves that alert. Recording 'sent' twice is harmless; with p_worker, a failure reported by a dispatcher that
-- no longer holds the lease is ignored. p_delivered names the recipients this attempt reached (kept in
-- delivered_to, so a retry skips them). For the dispatcher.
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
-- supalert:end sql/functions/record_delivery.sql

-- supalert:source sql/functions/resolve_alert.sql sha256=5d16e4905d5c97b5bcd045589b1c2cfcb7a7fa663dfa27848c5e926bf1c80e58
-- monitoring.resolve_alert(alert id, by default the caller): returns the resolved public.system_alerts row.
-- For an incident a person knows is over before the rule sees it; if the condition still holds, the next
-- evaluation opens a new alert. Raises for an unknown or already resolved alert. Admins only (CLI `resolve`).
create or replace function monitoring.resolve_alert(p_alert_id uuid, p_by text default null)
returns setof public.system_alerts
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_alert public.system_alerts;
begin
    perform monitoring.require_admin();
    -- The rule's lock first, as monitoring.evaluate takes it, so a resolve and an evaluation never deadlock.
    perform monitoring.lock_rule((select a.alert_type from public.system_alerts as a where a.id = p_alert_id));
    select a.* into v_alert from public.system_alerts as a where a.id = p_alert_id for update;
    if not found then
        raise exception 'alert % not found', p_alert_id
            using errcode = 'no_data_found', hint = 'List open alerts with: python deploy.py alerts';
    end if;
    if v_alert.status = 'resolved' then
        raise exception 'alert % is already resolved (at %)', p_alert_id, v_alert.resolved_at
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    update public.system_alerts as a
       set status = 'resolved',
           resolved_at = pg_catalog.now(),
           metadata = a.metadata || pg_catalog.jsonb_build_object(
               'resolved_by', coalesce(nullif(p_by, ''), auth.email(), auth.uid()::text, session_user::text))
     where a.id = p_alert_id
    returning a.* into v_alert;
    perform monitoring.enqueue_notifications(v_alert.id, 'resolved', pg_catalog.now());
    -- Start the series afresh: if the condition persists, the rule must breach again to re-open.
    update monitoring.rule_state as s
       set consecutive_breaches = 0, pending_since = null, last_state = 'resolved'
     where s.rule_key = v_alert.alert_type and s.fingerprint = v_alert.fingerprint;
    return next v_alert;
end;
$$;

comment on function monitoring.resolve_alert(uuid, text) is
'Resolves an open alert by hand; the rule re-opens one if the condition persists. Admins only.';

revoke execute on function monitoring.resolve_alert(uuid, text) from public, anon;
grant execute on function monitoring.resolve_alert(uuid, text) to authenticated, service_role;
-- supalert:end sql/functions/resolve_alert.sql

-- supalert:source sql/functions/severity_rank.sql sha256=df90126ba431a4a70affa9c2b325f6c7ca3f0dd91c65054ef31e48072a7e2361
-- monitoring.severity_rank(severity): returns the severity's rank in monitoring.severities (1 = critical, the most
-- urgent), or null for a word that is not one of supalert's severities (map an app's words with severity_level
-- first). For ordering alerts most urgent first. Admins' dashboards and service_role (security definer: the table
-- is private).
create or replace function monitoring.severity_rank(p_severity text)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
    select s.rank from monitoring.severities as s where s.severity = p_severity
$$;

comment on function monitoring.severity_rank(text) is
'The rank of a severity in monitoring.severities (1 = most urgent), null for an unknown one.';

revoke execute on function monitoring.severity_rank(text) from public, anon, authenticated;
grant execute on function monitoring.severity_rank(text) to authenticated, service_role;
-- supalert:end sql/functions/severity_rank.sql

-- supalert:source sql/functions/watch.sql sha256=464233d379ff75846686f9c16ae4551a9036facd800645d87ec63c686010f779
-- monitoring.watch(now): returns monitoring.liveness's rows, after raising, repeating or resolving the monitor_down
-- alert from them: firing while any part fails (its message names every failing part), repeated every
-- repeat_interval of the rule for as long as that lasts, resolved (a recovery message on every channel that was
-- told) when all is well again. It is an engine rule routed like any critical alert (the seed's Database Down:
-- email, Slack and SMS). check-alert-triggers calls it on every run, before it delivers, so the alert leaves on
-- that same run. Callers: check-alert-triggers (a database login), service_role.
create or replace function monitoring.watch(p_now timestamptz default pg_catalog.now())
returns table (component text, status text, detail text, fix text, age_seconds numeric)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_checks jsonb;
    v_failing jsonb;
begin
    perform monitoring.require_admin();
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(l.*)), '[]'::jsonb)
      into v_checks
      from monitoring.liveness(p_now) as l;
    select coalesce(pg_catalog.jsonb_agg(c.value), '[]'::jsonb)
      into v_failing
      from pg_catalog.jsonb_array_elements(v_checks) as c
     where c.value ->> 'status' = 'fail';
    perform monitoring.observe_engine_rule(
        'monitor_down', '{}'::jsonb, pg_catalog.jsonb_array_length(v_failing) > 0,
        pg_catalog.jsonb_build_object(
            'summary', case when pg_catalog.jsonb_array_length(v_failing) = 0
                then 'supalert is watching again: every part of the monitor is healthy'
                else (select pg_catalog.string_agg(f.value ->> 'detail', '; ')
                        from pg_catalog.jsonb_array_elements(v_failing) as f) end,
            'failing', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                            'component', f.value ->> 'component', 'fix', f.value ->> 'fix')), '[]'::jsonb)
                          from pg_catalog.jsonb_array_elements(v_failing) as f)
        ),
        p_now,
        p_value => pg_catalog.jsonb_array_length(v_failing)
    );
    return query
        select x.component, x.status, x.detail, x.fix, x.age_seconds
          from pg_catalog.jsonb_to_recordset(v_checks)
            as x (component text, status text, detail text, fix text, age_seconds numeric);
end;
$$;

comment on function monitoring.watch(timestamptz) is
'monitoring.liveness, after raising, repeating or resolving the monitor_down alert from it. check-alert-triggers.';

revoke execute on function monitoring.watch(timestamptz) from public, anon, authenticated;
grant execute on function monitoring.watch(timestamptz) to service_role;
-- supalert:end sql/functions/watch.sql
