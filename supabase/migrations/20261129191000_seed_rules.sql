-- Every threshold of the seed's ALERT_THRESHOLDS (scripts/alert-config.ts) as a rule, plus the engine's own
-- rule_error. The seed lists 15 values; each is one row here. Rules whose data source arrives with later work are
-- seeded disabled, each with a comment saying what it waits for. Change thresholds with UPDATE, never here.

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
-- Waits for a request count to divide by (the error-rate rule of the full rule set).
(
    'error_rate_percentage', 'High Error Rate (% of requests)',
    'More than 5% of requests in the last hour ended in an error.',
    null, '{}', '>', 5, '1 hour', 'critical', 1, '1 hour', false
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
-- Waits for public.email_delivery_log (the communication rules of the full rule set).
(
    'failed_emails_per_hour', 'Many Failed Emails',
    'More than 20 emails failed in the last hour.',
    null, '{}', '>', 20, '1 hour', 'warning', 1, '4 hours', false
),
-- Waits for a bounce status in the SMS log (the communication rules of the full rule set).
(
    'sms_bounce_rate', 'High SMS Bounce Rate',
    'More than 10% of the SMS sent in the last hour bounced.',
    null, '{}', '>', 10, '1 hour', 'warning', 1, '4 hours', false
),
-- System health --------------------------------------------------------------------------------------------------
(
    'database_size_gb', 'Database Size Near Plan Limit',
    'Database larger than 8 GiB (80% of a 10 GiB plan).',
    'metric_database_size_gb', '{}', '>', 8, '1 hour', 'info', 1, '1 day', true
),
-- Waits for a per-day count of edge-function calls (the system-health rules of the full rule set).
(
    'function_calls_per_day', 'Edge Function Calls Near Plan Limit',
    'More than 400,000 edge-function calls today (80% of 500k).',
    null, '{}', '>', 400000, '1 day', 'info', 1, '1 day', false
),
-- Waits for monitoring.usage_samples: bandwidth is not visible from SQL (the system-health rules).
(
    'bandwidth_gb_per_month', 'Bandwidth Near Plan Limit',
    'More than 40 GB of bandwidth this month (80% of 50 GB).',
    null, '{}', '>', 40, '30 days', 'info', 1, '1 day', false
),
-- Business -------------------------------------------------------------------------------------------------------
-- Waits for the client_credits source (one alert per client; the business rules of the full rule set).
(
    'low_credit_balance', 'Low Credit Balance',
    'A client''s credit balance is below 100.',
    null, '{}', '<', 100, '1 hour', 'high', 1, '1 day', false
),
-- Waits for the gift_card_provisions log (the business rules of the full rule set).
(
    'failed_gift_card_provisions', 'Failed Gift Card Provisions',
    'More than 5 gift-card provisions failed in the last hour.',
    null, '{}', '>', 5, '1 hour', 'high', 1, '4 hours', false
),
-- User experience ------------------------------------------------------------------------------------------------
(
    'concurrent_users_threshold', 'High Concurrent Usage',
    'More than 100 users active in the last 15 minutes (user_sessions.last_active_at).',
    'metric_active_users', '{}', '>', 100, '15 minutes', 'info', 1, '1 day', true
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
