-- monitoring.system_health(now): one jsonb document for the dashboard's system-health page: errors in the last
-- hour (and per minute), p50/p95 per edge function, active users, database size and function calls against the
-- plan's limits, open alerts by severity, the last evaluation's age, the notification backlog and dead count.
-- Admins only (security definer to read supalert's private tables); called through public.get_system_health().
create or replace function monitoring.system_health(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
-- Small queries over many partitions: JIT compilation would cost more than it saves (see monitoring.evaluate).
set jit = off
-- The hour's start is a plpgsql variable, a constant to a custom plan: it prunes to the hour's partitions while
-- planning and opens no other (a generic plan opens every partition).
set plan_cache_mode = force_custom_plan
as $$
declare
    v_settings monitoring.settings;
    v_result jsonb;
    v_hour_ago timestamptz := p_now - interval '1 hour';
begin
    perform monitoring.require_admin();
    select s.* into v_settings from monitoring.settings as s;
    select pg_catalog.jsonb_build_object(
        'generated_at', p_now,
        'errors', (
            select pg_catalog.jsonb_build_object(
                'last_hour', pg_catalog.count(*),
                'per_minute', pg_catalog.round(pg_catalog.count(*) / 60.0, 3),
                'by_severity', coalesce(
                    -- By supalert's severities: the app's words (medium, ERROR, ...) mapped, unknown ones 'other'.
                    (select pg_catalog.jsonb_object_agg(y.severity, y.n)
                       from (select coalesce(monitoring.severity_level(x.word), 'other') as severity,
                                    pg_catalog.sum(x.n) as n
                               from (select e2.severity::text as word, pg_catalog.count(*) as n
                                       from public.error_logs as e2
                                      where e2.occurred_at > v_hour_ago and e2.occurred_at <= p_now
                                      group by 1) as x
                              group by 1) as y),
                    '{}'::jsonb)
            )
              from public.error_logs as e
             where e.occurred_at > v_hour_ago and e.occurred_at <= p_now
        ),
        'edge_functions', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'name', f.metric_name, 'calls', f.calls, 'p50_ms', f.p50, 'p95_ms', f.p95) order by f.metric_name)
              from (
                  select m.metric_name, pg_catalog.count(*) as calls,
                         pg_catalog.round((pg_catalog.percentile_cont(0.5) within group (order by m.duration_ms))::numeric, 1) as p50,
                         pg_catalog.round((pg_catalog.percentile_cont(0.95) within group (order by m.duration_ms))::numeric, 1) as p95
                    from public.performance_metrics as m
                   where m.metric_type = 'edge_function'
                     and m.recorded_at > v_hour_ago and m.recorded_at <= p_now
                   group by m.metric_name
              ) as f
        ), '[]'::jsonb),
        'active_users_15m', (
            select pg_catalog.count(distinct u.user_id) from public.user_sessions as u
             where u.last_active_at > p_now - interval '15 minutes' and u.last_active_at <= p_now
        ),
        'database', pg_catalog.jsonb_build_object(
            'size_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()),
            'size_gb', pg_catalog.round(pg_catalog.pg_database_size(pg_catalog.current_database()) / 1073741824.0, 3),
            'limit_gb', v_settings.plan_database_gb
        ),
        'function_calls_today', pg_catalog.jsonb_build_object(
            'count', monitoring.function_calls_today(p_now),
            'limit', v_settings.plan_function_calls_per_day
        ),
        'open_alerts', pg_catalog.jsonb_build_object(
            'critical', (select pg_catalog.count(*) from public.system_alerts as a
                          where a.resolved_at is null and a.severity = 'critical'),
            'high', (select pg_catalog.count(*) from public.system_alerts as a
                      where a.resolved_at is null and a.severity = 'high'),
            'warning', (select pg_catalog.count(*) from public.system_alerts as a
                         where a.resolved_at is null and a.severity = 'warning'),
            'info', (select pg_catalog.count(*) from public.system_alerts as a
                      where a.resolved_at is null and a.severity = 'info')
        ),
        'last_evaluation', (
            select pg_catalog.jsonb_build_object(
                'at', h.last_evaluated_at,
                'age_seconds', pg_catalog.round(extract(epoch from p_now - h.completed_at)::numeric, 1),
                'rules_evaluated', h.rules_evaluated,
                'rules_failed', h.rules_failed)
              from monitoring.heartbeat as h
        ),
        'notifications', pg_catalog.jsonb_build_object(
            'backlog', (select pg_catalog.count(*) from monitoring.notifications as n
                         where n.status in ('pending', 'sending')),
            'dead', (select pg_catalog.count(*) from monitoring.notifications as n where n.status = 'dead')
        )
    ) into v_result;
    return v_result;
end;
$$;

comment on function monitoring.system_health(timestamptz) is
'The system-health document for the dashboard (errors, latency, users, limits, alerts, evaluation, outbox). Admins.';

revoke execute on function monitoring.system_health(timestamptz) from public, anon;
grant execute on function monitoring.system_health(timestamptz) to authenticated, service_role;
