-- 20261206192733_an_emptied_window_resolves: written by `python deploy.py new-migration an_emptied_window_resolves`.
-- Blocks between supalert:source and supalert:end are copies of sql/ and of the rules/ definitions; change
-- those and generate a new migration instead of editing them. Hand-written statements may go above or
-- below the blocks.

-- on_no_data 'auto', the new default: an average or rate whose window has emptied after it fired resolves the
-- alert (monitoring.apply_observation), where 'keep' kept it open for ever. Every rule at 'keep' takes it: 'keep'
-- was the default, and what it did for an emptied window was the defect; set 'keep' again to have it back. The
-- rules table holds a few dozen rows, so the new check's scan under the table lock is instant.
-- squawk-ignore ban-drop-constraint
alter table monitoring.rules drop constraint if exists rules_on_no_data_known;
-- squawk-ignore constraint-missing-not-valid
alter table monitoring.rules add constraint rules_on_no_data_known check (
    on_no_data in ('auto', 'keep', 'resolve', 'alert')
);
alter table monitoring.rules alter column on_no_data set default 'auto';
update monitoring.rules set on_no_data = 'auto'
where on_no_data = 'keep';

-- supalert:source sql/engine/apply_observation.sql sha256=bc298f9fee541126b8bbf32a6a59c3080d6cbef5e66dccd281ba2fae9218581e
-- monitoring.apply_observation(rule, labels, value, detail, no_data, now): returns (state, alert_id, fingerprint).
-- The alert lifecycle for one series of one rule, the only code that turns observations into alerts (notify,
-- acknowledge_alert and resolve_alert are the direct actions of an app or a person):
--   breach  -> pending until evaluations_before_firing breaches in a row, then one firing alert; further breaches
--              bump occurrences/last_seen_at/message/metadata of that same alert (firing or acknowledged);
--   clear   -> (value back past the resolve threshold) resolves the open alert;
--   between -> (past the resolve threshold but not the firing one) keeps an open alert, resets a pending count;
--   no data -> per rule.on_no_data: auto (the default: a window that has emptied, detail.window_empty, resolves as
--              Prometheus does, with "no data in the window" as the resolve's message; a source with no rows at all
--              changes nothing), keep (nothing changes), resolve (as clear) or alert (as breach).
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
        v_verdict := case p_rule.on_no_data
            when 'resolve' then 'clear'
            when 'alert' then 'breach'
            when 'auto' then case when (p_detail ->> 'window_empty')::boolean then 'clear' else 'no_data' end
            else 'no_data'
        end;
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
                   message = case when p_no_data then 'no data in the window: ' || v_message else a.message end,
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
-- supalert:end sql/engine/apply_observation.sql

-- supalert:source sql/metrics/metric_duration.sql sha256=43b88cede1d49b593e220198d751e7b5520a0edc006de598648ddc941b638a02
-- monitoring.metric_duration(rule, now): the average (params.aggregate = 'avg', the seed's choice) or 95th
-- percentile ('p95') of public.performance_metrics.duration_ms over the window, for rows whose metric_type is
-- params.metric_type (default 'edge_function'). No rows in the window is no data (detail.window_empty when that
-- metric_type has rows before it: an open alert resolves). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_duration(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
declare
    v_metric_type text := coalesce(p_rule.params ->> 'metric_type', 'edge_function');
    v_aggregate text := coalesce(p_rule.params ->> 'aggregate', 'avg');
    v_from timestamptz := p_now - p_rule.time_window;
    v_samples bigint;
    v_avg numeric;
    v_p95 numeric;
    v_value numeric;
begin
    if v_aggregate not in ('avg', 'p95') then
        raise exception 'rule %: params.aggregate must be avg or p95, not %', p_rule.key, pg_catalog.quote_literal(v_aggregate)
            using errcode = 'invalid_parameter_value';
    end if;
    select pg_catalog.count(*),
           pg_catalog.avg(m.duration_ms),
           (pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric
      into v_samples, v_avg, v_p95
      from public.performance_metrics as m
     where m.metric_type = v_metric_type
       and m.recorded_at > v_from
       and m.recorded_at <= p_now;
    v_value := case v_aggregate when 'p95' then v_p95 else v_avg end;
    return query select
        pg_catalog.round(v_value, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'samples', v_samples,
            'avg_ms', pg_catalog.round(v_avg, 1),
            'p95_ms', pg_catalog.round(v_p95, 1),
            'metric_type', v_metric_type,
            'window_empty', v_samples = 0 and exists (
                select from public.performance_metrics as x where x.metric_type = v_metric_type and x.recorded_at <= p_now
            ),
            'summary', case when v_samples = 0
                then pg_catalog.format(
                    'no %s timings in the last %s', v_metric_type, monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s %s duration %s ms over %s sample(s) in the last %s',
                    v_aggregate, v_metric_type, pg_catalog.round(v_value), v_samples,
                    monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_samples = 0;
end;
$$;

comment on function monitoring.metric_duration(monitoring.rules, timestamptz) is
'Metric: avg or p95 of performance_metrics.duration_ms for params.metric_type in the window; no rows is no data.';

revoke execute on function monitoring.metric_duration(monitoring.rules, timestamptz) from public, anon, authenticated;
-- supalert:end sql/metrics/metric_duration.sql

-- supalert:source sql/metrics/metric_error_rate_percentage.sql sha256=b0b98cf90180cc07a744b55e4c4072e2f23c3ba0cc1feed4d3d97eff608b564b
-- monitoring.metric_error_rate_percentage(rule, now): errors per 100 requests in the window. Errors: public.error_logs
-- rows in the window (all severities, or those whose word means one of params.severities, by
-- monitoring.severity_aliases). Requests: public.performance_metrics rows with metric_type 'edge_function' in the
-- window, since every edge function logs one timing per call (the seed's "Edge Function Performance" snippet).
-- No requests in the window is no data (detail.window_empty when there were requests before it: an open alert
-- resolves). Metric interface; evaluate only.
create or replace function monitoring.metric_error_rate_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_severities text[] := (select pg_catalog.array_agg(x.severity)
                              from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'severities') as x (severity));
    -- The app's own words for those severities (medium, ERROR, ...): monitoring.severity_aliases.
    v_words text[] := case when v_severities is not null then monitoring.severity_words(v_severities) end;
    v_errors bigint;
    v_requests bigint;
begin
    select pg_catalog.count(*)
      into v_errors
      from public.error_logs as e
     where e.occurred_at > v_from and e.occurred_at <= p_now
       and (v_words is null or pg_catalog.lower(pg_catalog.btrim(e.severity::text)) = any (v_words));
    select pg_catalog.count(*)
      into v_requests
      from public.performance_metrics as m
     where m.metric_type = 'edge_function'
       and m.recorded_at > v_from and m.recorded_at <= p_now;
    return query select
        case when v_requests > 0 then pg_catalog.round(v_errors * 100.0 / v_requests, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'errors', v_errors,
            'requests', v_requests,
            'window_empty', v_requests = 0 and exists (
                select from public.performance_metrics as x where x.metric_type = 'edge_function' and x.recorded_at <= p_now
            ),
            'summary', case when v_requests = 0
                then pg_catalog.format('no requests in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s error(s) in %s request(s) (%s%%) in the last %s', v_errors, v_requests,
                    pg_catalog.round(v_errors * 100.0 / v_requests, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_requests = 0;
end;
$$;

comment on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz) is
'Metric: error_logs rows per 100 edge_function requests (performance_metrics) in the window; no requests, no data.';

revoke execute on function monitoring.metric_error_rate_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_error_rate_percentage.sql

-- supalert:source sql/metrics/metric_sms_failure_percentage.sql sha256=434aa8159f4bc6dc71c9132194e1e688731120993ea24340bf22f9a97dad3b92
-- monitoring.metric_sms_failure_percentage(rule, now): the percentage of public.sms_delivery_log rows in the window
-- whose delivery_status is in params.statuses (default failed: the seed's check_sms_delivery_failures; the
-- sms_bounce_rate rule counts undelivered and bounced). No SMS in the window is no data (the seed skipped the
-- check); detail.window_empty when SMS were sent before it. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_sms_failure_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- The window's bounds are plpgsql variables, constants to a custom plan: it prunes to the window's partitions while
-- planning and opens no other. A generic plan opens every partition, the largest cost of pg_cron's fresh session.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    v_from timestamptz := p_now - p_rule.time_window;
    v_statuses text[] := coalesce(
        (select pg_catalog.array_agg(x.status order by x.status)
           from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'statuses') as x (status)),
        array['failed']
    );
    v_failed bigint;
    v_total bigint;
begin
    select pg_catalog.count(*) filter (where s.delivery_status = any (v_statuses)), pg_catalog.count(*)
      into v_failed, v_total
      from public.sms_delivery_log as s
     where s.created_at > v_from and s.created_at <= p_now;
    return query select
        case when v_total > 0 then pg_catalog.round(v_failed * 100.0 / v_total, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', v_failed,
            'total_count', v_total,
            'window_empty', v_total = 0 and exists (select from public.sms_delivery_log as x where x.created_at <= p_now),
            'summary', case when v_total = 0
                then pg_catalog.format('no SMS sent in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s of %s SMS %s (%s%%) in the last %s',
                    v_failed, v_total, pg_catalog.array_to_string(v_statuses, '/'),
                    pg_catalog.round(v_failed * 100.0 / v_total, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        v_total = 0;
end;
$$;

comment on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz) is
'Metric: percentage of sms_delivery_log rows with delivery_status failed in the window; no SMS is no data.';

revoke execute on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
-- supalert:end sql/metrics/metric_sms_failure_percentage.sql
