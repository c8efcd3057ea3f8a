-- 20261206134341_group_sql_sources_by_what_they_hold: written by `python deploy.py new-migration group_sql_sources_by_what_they_hold`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.
-- sql/ grouped by what each file holds (security, engine, outbox, monitor, actions, housekeeping, api, metrics,
-- cron); the files moved unchanged, so this migration carries only their new paths, and the one whose hint named
-- the old folder.
-- supalert:moved sql/functions/is_admin.sql -> sql/security/is_admin.sql
-- supalert:moved sql/functions/require_admin.sql -> sql/security/require_admin.sql
-- supalert:moved sql/functions/system_alerts_sync_flags.sql -> sql/security/system_alerts_sync_flags.sql
-- supalert:moved sql/functions/apply_observation.sql -> sql/engine/apply_observation.sql
-- supalert:moved sql/functions/breaches.sql -> sql/engine/breaches.sql
-- supalert:moved sql/functions/describe_interval.sql -> sql/engine/describe_interval.sql
-- supalert:moved sql/functions/evaluate.sql -> sql/engine/evaluate.sql
-- supalert:moved sql/functions/evaluate_on_schedule.sql -> sql/engine/evaluate_on_schedule.sql
-- supalert:moved sql/functions/evaluate_rule.sql -> sql/engine/evaluate_rule.sql
-- supalert:moved sql/functions/fingerprint.sql -> sql/engine/fingerprint.sql
-- supalert:moved sql/functions/lock_rule.sql -> sql/engine/lock_rule.sql
-- supalert:moved sql/functions/observe_engine_rule.sql -> sql/engine/observe_engine_rule.sql
-- supalert:moved sql/functions/severity_level.sql -> sql/engine/severity_level.sql
-- supalert:moved sql/functions/severity_rank.sql -> sql/engine/severity_rank.sql
-- supalert:moved sql/functions/severity_words.sql -> sql/engine/severity_words.sql
-- supalert:moved sql/functions/build_digest.sql -> sql/outbox/build_digest.sql
-- supalert:moved sql/functions/claim_notifications.sql -> sql/outbox/claim_notifications.sql
-- supalert:moved sql/functions/dispatch_missing.sql -> sql/outbox/dispatch_missing.sql
-- supalert:moved sql/functions/dispatch_via_pg_net.sql -> sql/outbox/dispatch_via_pg_net.sql
-- supalert:moved sql/functions/enable_pg_net.sql -> sql/outbox/enable_pg_net.sql
-- supalert:moved sql/functions/enqueue_notifications.sql -> sql/outbox/enqueue_notifications.sql
-- supalert:moved sql/functions/ensure_dispatch_job.sql -> sql/outbox/ensure_dispatch_job.sql
-- supalert:moved sql/functions/record_delivery.sql -> sql/outbox/record_delivery.sql
-- supalert:moved sql/functions/release_notifications.sql -> sql/outbox/release_notifications.sql
-- supalert:moved sql/functions/cron_database.sql -> sql/monitor/cron_database.sql
-- supalert:moved sql/functions/dispatcher_evaluates.sql -> sql/monitor/dispatcher_evaluates.sql
-- supalert:moved sql/functions/liveness.sql -> sql/monitor/liveness.sql
-- supalert:moved sql/functions/schedule_evaluation.sql -> sql/monitor/schedule_evaluation.sql
-- supalert:moved sql/functions/schedule_period.sql -> sql/monitor/schedule_period.sql
-- supalert:moved sql/functions/set_schedules.sql -> sql/monitor/set_schedules.sql
-- supalert:moved sql/functions/watch.sql -> sql/monitor/watch.sql
-- supalert:moved sql/functions/acknowledge_alert.sql -> sql/actions/acknowledge_alert.sql
-- supalert:moved sql/functions/create_silence.sql -> sql/actions/create_silence.sql
-- supalert:moved sql/functions/dismiss_alert.sql -> sql/actions/dismiss_alert.sql
-- supalert:moved sql/functions/notify.sql -> sql/actions/notify.sql
-- supalert:moved sql/functions/resolve_alert.sql -> sql/actions/resolve_alert.sql
-- supalert:moved sql/functions/apply_retention.sql -> sql/housekeeping/apply_retention.sql
-- supalert:moved sql/functions/cleanup_rate_limit_logs.sql -> sql/housekeeping/cleanup_rate_limit_logs.sql
-- supalert:moved sql/functions/drop_detached_partitions.sql -> sql/housekeeping/drop_detached_partitions.sql
-- supalert:moved sql/functions/ensure_day_partitions.sql -> sql/housekeeping/ensure_day_partitions.sql
-- supalert:moved sql/functions/function_calls_today.sql -> sql/housekeeping/function_calls_today.sql
-- supalert:moved sql/functions/maintain_partitions.sql -> sql/housekeeping/maintain_partitions.sql
-- supalert:moved sql/functions/partition_by_day.sql -> sql/housekeeping/partition_by_day.sql
-- supalert:moved sql/functions/partition_key.sql -> sql/housekeeping/partition_key.sql
-- supalert:moved sql/functions/require_columns.sql -> sql/housekeeping/require_columns.sql
-- supalert:moved sql/functions/rollup_function_calls.sql -> sql/housekeeping/rollup_function_calls.sql
-- supalert:moved sql/functions/verify_latest_backup.sql -> sql/housekeeping/verify_latest_backup.sql
-- supalert:moved sql/functions/check_error_rate_threshold.sql -> sql/api/check_error_rate_threshold.sql
-- supalert:moved sql/functions/check_performance_degradation.sql -> sql/api/check_performance_degradation.sql
-- supalert:moved sql/functions/check_sms_delivery_failures.sql -> sql/api/check_sms_delivery_failures.sql
-- supalert:moved sql/functions/get_error_rate.sql -> sql/api/get_error_rate.sql
-- supalert:moved sql/functions/get_system_health.sql -> sql/api/get_system_health.sql
-- supalert:moved sql/functions/system_health.sql -> sql/api/system_health.sql
-- supalert:moved sql/rules/metric_active_users.sql -> sql/metrics/metric_active_users.sql
-- supalert:moved sql/rules/metric_backup_age_hours.sql -> sql/metrics/metric_backup_age_hours.sql
-- supalert:moved sql/rules/metric_client_credit.sql -> sql/metrics/metric_client_credit.sql
-- supalert:moved sql/rules/metric_database_size_gb.sql -> sql/metrics/metric_database_size_gb.sql
-- supalert:moved sql/rules/metric_duration.sql -> sql/metrics/metric_duration.sql
-- supalert:moved sql/rules/metric_error_count.sql -> sql/metrics/metric_error_count.sql
-- supalert:moved sql/rules/metric_error_rate_percentage.sql -> sql/metrics/metric_error_rate_percentage.sql
-- supalert:moved sql/rules/metric_failed_emails.sql -> sql/metrics/metric_failed_emails.sql
-- supalert:moved sql/rules/metric_failed_gift_cards.sql -> sql/metrics/metric_failed_gift_cards.sql
-- supalert:moved sql/rules/metric_function_calls_today.sql -> sql/metrics/metric_function_calls_today.sql
-- supalert:moved sql/rules/metric_sms_failure_percentage.sql -> sql/metrics/metric_sms_failure_percentage.sql
-- supalert:moved sql/rules/metric_usage_sample.sql -> sql/metrics/metric_usage_sample.sql
-- supalert:moved sql/functions/rules_check_metric_function.sql -> sql/engine/rules_check_metric_function.sql

-- supalert:source sql/engine/rules_check_metric_function.sql sha256=40cb19fc3192e54903c66282b8cafa7a4f967697573b1092dc219132fb25821a
-- monitoring.rules_check_metric_function(): trigger on monitoring.rules; returns the row. Rejects a metric_function
-- that is not a function monitoring.<name>(monitoring.rules, timestamptz) returning the uniform metric columns,
-- naming the column and what is wrong, and keeps updated_at current. Trigger only.
create or replace function monitoring.rules_check_metric_function()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_function regprocedure;
    v_result text;
begin
    new.updated_at := pg_catalog.now();
    if new.metric_function is null then
        return new;
    end if;
    v_function := pg_catalog.to_regprocedure(
        pg_catalog.format('monitoring.%I(monitoring.rules, timestamptz)', new.metric_function));
    if v_function is null then
        raise exception 'invalid metric_function % for rule %: there is no function monitoring.%(monitoring.rules, timestamptz)',
            pg_catalog.quote_literal(new.metric_function), new.key, new.metric_function
            using errcode = 'check_violation', column = 'metric_function', table = 'rules', schema = 'monitoring',
                  hint = 'Create it from a file in sql/metrics/, or name an existing metric function.';
    end if;
    v_result := pg_catalog.pg_get_function_result(v_function);
    if v_result <> 'TABLE(value numeric, labels jsonb, detail jsonb, no_data boolean)' then
        raise exception 'invalid metric_function % for rule %: it returns %, not the metric columns',
            pg_catalog.quote_literal(new.metric_function), new.key, v_result
            using errcode = 'check_violation', column = 'metric_function', table = 'rules', schema = 'monitoring',
                  hint = 'Metric functions return table (value numeric, labels jsonb, detail jsonb, no_data boolean).';
    end if;
    return new;
end;
$$;

comment on function monitoring.rules_check_metric_function() is
'Trigger: metric_function must name a monitoring function with the uniform metric interface.';

revoke execute on function monitoring.rules_check_metric_function() from public, anon, authenticated;
-- supalert:end sql/engine/rules_check_metric_function.sql
