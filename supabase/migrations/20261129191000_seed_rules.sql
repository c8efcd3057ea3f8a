-- Every threshold of the seed's ALERT_THRESHOLDS (scripts/alert-config.ts) as a rule (the seed lists 15 values;
-- each is one row here), the seed's weekly backup check as backup_stale, and the engine's own rule_error and
-- notification_dead. Change thresholds with UPDATE or `python deploy.py rules set/sync`, never here.

create or replace trigger rules_check_metric_function
before insert or update on monitoring.rules
for each row execute function monitoring.rules_check_metric_function();

insert into monitoring.rules (
    key, title, description, metric_function, params, comparison, threshold, time_window, severity,
    evaluations_before_firing, repeat_interval, enabled
) values
-- Errors ---------------------------------------------------------------------------------------------------------
(
    'critical_errors_per_hour', 'High Error Rate Detected',
    'More than 5 high or critical errors in the last hour (the seed''s check_error_rate_threshold).',
    'metric_error_count', '{"severities": ["critical", "high"]}', '>', 5, '1 hour', 'critical', 1, '1 hour', true
),
(
    'high_errors_per_hour', 'Many High-Severity Errors',
    'More than 20 high-severity errors in the last hour.',
    'metric_error_count', '{"severities": ["high"]}', '>', 20, '1 hour', 'high', 1, '4 hours', true
),
(
    'error_rate_percentage', 'High Error Rate (% of requests)',
    'More than 5 errors per 100 requests in the last hour (requests: edge_function rows of performance_metrics).',
    'metric_error_rate_percentage', '{}', '>', 5, '1 hour', 'critical', 1, '1 hour', true
),
-- Performance ----------------------------------------------------------------------------------------------------
(
    'slow_response_time_ms', 'Performance Degradation Detected',
    'Average edge-function duration above 3 s over the last hour (the seed''s check_performance_degradation).',
    'metric_duration', '{"metric_type": "edge_function", "aggregate": "avg"}', '>', 3000, '1 hour', 'high', 1,
    '4 hours', true
),
(
    'very_slow_response_time_ms', 'Severe Performance Degradation',
    'Average edge-function duration above 10 s over the last hour.',
    'metric_duration', '{"metric_type": "edge_function", "aggregate": "avg"}', '>', 10000, '1 hour', 'critical', 1,
    '1 hour', true
),
(
    'page_load_time_ms', 'Slow Page Loads',
    'Average page load above 5 s over the last hour (performance_metrics rows with metric_type page_load).',
    'metric_duration', '{"metric_type": "page_load", "aggregate": "avg"}', '>', 5000, '1 hour', 'warning', 1,
    '4 hours', true
),
-- Communication --------------------------------------------------------------------------------------------------
(
    'failed_sms_per_hour', 'High SMS Failure Rate',
    'More than 10% of the SMS sent in the last hour failed (the seed''s check_sms_delivery_failures); '
    || 'no SMS, no check.',
    'metric_sms_failure_percentage', '{}', '>', 10, '1 hour', 'warning', 1, '4 hours', true
),
(
    'failed_emails_per_hour', 'Many Failed Emails',
    'More than 20 emails failed in the last hour (email_delivery_log).',
    'metric_failed_emails', '{}', '>', 20, '1 hour', 'warning', 1, '4 hours', true
),
(
    'sms_bounce_rate', 'High SMS Bounce Rate',
    'More than 10% of the SMS sent in the last hour bounced (delivery_status undelivered or bounced).',
    'metric_sms_failure_percentage', '{"statuses": ["bounced", "undelivered"]}', '>', 10, '1 hour', 'warning', 1,
    '4 hours', true
),
-- System health --------------------------------------------------------------------------------------------------
(
    'database_size_gb', 'Database Size Near Plan Limit',
    'Database larger than 8 GiB (80% of a 10 GiB plan).',
    'metric_database_size_gb', '{}', '>', 8, '1 hour', 'info', 1, '1 day', true
),
(
    'function_calls_per_day', 'Edge Function Calls Near Plan Limit',
    'More than 400,000 edge-function calls today, UTC (80% of 500k).',
    'metric_function_calls_today', '{}', '>', 400000, '1 day', 'info', 1, '1 day', true
),
-- Bandwidth is not visible from SQL: `python deploy.py usage record bandwidth_gb_month N` feeds usage_samples.
(
    'bandwidth_gb_per_month', 'Bandwidth Near Plan Limit',
    'More than 40 GB of bandwidth this month (80% of 50 GB), from the newest usage sample (no data if stale).',
    'metric_usage_sample', '{"metric": "bandwidth_gb_month", "max_age": "2 days"}', '>', 40, '30 days', 'info', 1,
    '1 day', true
),
-- Business -------------------------------------------------------------------------------------------------------
(
    'low_credit_balance', 'Low Credit Balance',
    'A client''s credit balance is below 100 (client_credits; one alert per client).',
    'metric_client_credit', '{}', '<', 100, '1 hour', 'high', 1, '1 day', true
),
(
    'failed_gift_card_provisions', 'Failed Gift Card Provisions',
    'More than 5 gift-card provisions failed in the last hour (gift_card_provisions).',
    'metric_failed_gift_cards', '{}', '>', 5, '1 hour', 'high', 1, '4 hours', true
),
-- User experience ------------------------------------------------------------------------------------------------
(
    'concurrent_users_threshold', 'High Concurrent Usage',
    'More than 100 users active in the last 15 minutes (user_sessions.last_active_at).',
    'metric_active_users', '{}', '>', 100, '15 minutes', 'info', 1, '1 day', true
)
on conflict (key) do nothing;

-- A client that disappears from client_credits has no balance to be low: its alert resolves.
update monitoring.rules set on_no_data = 'resolve'
where key = 'low_credit_balance';

-- The seed's weekly verify_latest_backup(): hours since the newest verified backup (monitoring.backup_log).
-- Evaluated hourly; no backup recorded yet is no data, not an alarm, since Supabase's own daily backups are not
-- visible from SQL until something records them.
insert into monitoring.rules (
    key, title, description, metric_function, comparison, threshold, time_window, severity, evaluation_interval,
    repeat_interval
) values (
    'backup_stale', 'Backups Are Stale',
    'The newest verified backup (monitoring.backup_log) finished more than 48 hours ago.',
    'metric_backup_age_hours', '>', 48, '1 day', 'high', '1 hour', '1 day'
)
on conflict (key) do nothing;

-- Raised by monitoring.evaluate() when a rule's metric function fails; resolved when it runs again.
insert into monitoring.rules (
    key, title, description, kind, metric_function, comparison, threshold, time_window, severity, repeat_interval
) values (
    'rule_error', 'Alert Rule Failing',
    'A rule''s metric function raised an error, so that rule is not watching anything until it is fixed.',
    'engine', null, '>', 0, '1 hour', 'high', '4 hours'
)
on conflict (key) do nothing;

-- Raised when a notification gives up (permanent provider error or too many attempts); routed away from the
-- channel that failed, so it cannot loop on it. Resolved when that channel delivers again.
insert into monitoring.rules (
    key, title, description, kind, metric_function, comparison, threshold, time_window, severity, repeat_interval
) values (
    'notification_dead', 'Alert Notifications Failing',
    'A notification could not be delivered on a channel; people relying on that channel are not being told.',
    'engine', null, '>', 0, '1 hour', 'high', '4 hours'
)
on conflict (key) do nothing;

-- The seed's Alert Types table: critical -> email + Slack + SMS, high -> email + Slack, warning (the seed's
-- "medium") -> email, info -> the daily digest email.
insert into monitoring.routes (name, severity, channels, digest) values
('critical: email, Slack and SMS', 'critical', array['email', 'slack', 'sms'], false),
('high: email and Slack', 'high', array['email', 'slack'], false),
('warning: email', 'warning', array['email'], false),
('info: daily digest email', 'info', array['email'], true)
on conflict (name) do nothing;

-- Retention (monitoring.apply_retention, every 10 minutes, in batches). Change with UPDATE.
insert into monitoring.retention_policies (table_name, time_column, keep, only_where) values
('public.error_logs', 'occurred_at', '30 days', null),
('public.performance_metrics', 'recorded_at', '30 days', null),
('public.sms_delivery_log', 'created_at', '90 days', null),
('public.email_delivery_log', 'created_at', '90 days', null),
('public.gift_card_provisions', 'created_at', '90 days', null),
('public.rate_limit_log', 'created_at', '7 days', null),
('public.user_sessions', 'last_active_at', '30 days', null),
('public.system_alerts', 'resolved_at', '180 days', 'resolved_at is not null'),
('monitoring.rule_runs', 'evaluated_at', '14 days', null),
('monitoring.notifications', 'updated_at', '30 days', 'status in (''sent'', ''suppressed'', ''digested'', ''dead'')'),
('monitoring.usage_samples', 'sampled_at', '400 days', null)
on conflict (table_name) do nothing;
