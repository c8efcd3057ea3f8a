"""The designed permissions of every table and function in public and monitoring, one row each.

Tables: for each API role, the privileges it holds, and what `select` shows it of a row the server wrote ("-" =
refused, "none" = allowed but RLS hides it, "all" = visible). Admin is `authenticated` with an admin claim, so it
holds exactly the privileges of `user`; RLS makes the difference.
Functions: which roles may execute, and whether the function itself refuses a signed-in non-admin ("admin").
A new table or function without a row here fails tests/test_permission_matrix.py.
"""

from __future__ import annotations

from supalert.paths import project_root

ROOT = project_root()

NO = ""
SERVER = "select,insert,update,delete"  # service_role, as Supabase grants it on public

# table -> {role: (privileges, what select shows)}
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "public.system_alerts": {"anon": (NO, "-"), "user": ("select", "none"), "admin": ("select", "all"),
                             "service_role": (SERVER, "all")},
    "public.error_logs": {"anon": (NO, "-"), "user": ("select,insert", "none"), "admin": ("select,insert", "all"),
                          "service_role": (SERVER, "all")},
    "public.performance_metrics": {"anon": (NO, "-"), "user": ("select,insert", "none"),
                                   "admin": ("select,insert", "all"), "service_role": (SERVER, "all")},
    "public.sms_delivery_log": {"anon": (NO, "-"), "user": ("select", "none"), "admin": ("select", "all"),
                                "service_role": (SERVER, "all")},
    "public.email_delivery_log": {"anon": (NO, "-"), "user": ("select", "none"), "admin": ("select", "all"),
                                  "service_role": (SERVER, "all")},
    "public.user_sessions": {"anon": (NO, "-"), "user": ("select,insert", "none"), "admin": ("select,insert", "all"),
                             "service_role": (SERVER, "all")},
    "public.client_credits": {"anon": (NO, "-"), "user": ("select", "none"), "admin": ("select", "all"),
                              "service_role": (SERVER, "all")},
    "public.gift_card_provisions": {"anon": (NO, "-"), "user": ("select", "none"), "admin": ("select", "all"),
                                    "service_role": (SERVER, "all")},
    "public.rate_limit_log": {"anon": (NO, "-"), "user": ("select", "none"), "admin": ("select", "all"),
                              "service_role": (SERVER, "all")},
}  # fmt: skip
PRIVATE = {"anon": (NO, "-"), "user": (NO, "-"), "admin": (NO, "-"), "service_role": (NO, "-")}
for _name in ("alert_action_uses", "alert_types", "backup_log", "cron_job_watch", "dispatch_requests",
              "escalation_steps", "function_call_hours", "heartbeat", "inhibitions", "notifications",
              "partitioned_tables", "retention_policies", "retention_runs", "routes", "rule_runs", "rule_state",
              "rules", "settings", "severities", "severity_aliases", "silences", "usage_samples"):  # fmt: skip
    TABLES[f"monitoring.{_name}"] = PRIVATE

# A row each of these tables gets before the select cells are checked (written by the owner, for another user).
SEED_ROWS = {
    "public.system_alerts": "insert into public.system_alerts (alert_type, title, severity) values ('t', 'T', 'info')",
    "public.error_logs": "insert into public.error_logs (severity, message, user_id)"
    " values ('high', 'e', gen_random_uuid())",
    "public.performance_metrics": "insert into public.performance_metrics"
    " (metric_type, metric_name, duration_ms, user_id) values ('page_load', 'p', 1, gen_random_uuid())",
    "public.sms_delivery_log": "insert into public.sms_delivery_log (delivery_status) values ('sent')",
    "public.email_delivery_log": "insert into public.email_delivery_log (delivery_status) values ('sent')",
    "public.user_sessions": "insert into public.user_sessions (user_id) values (gen_random_uuid())",
    "public.client_credits": "insert into public.client_credits (client_id, balance) values (gen_random_uuid(), 1)",
    "public.gift_card_provisions": "insert into public.gift_card_provisions (status) values ('failed')",
    "public.rate_limit_log": "insert into public.rate_limit_log (identifier) values ('ip')",
}  # fmt: skip

# function (regprocedure text) -> (roles that may execute, refuses a non-admin signed-in user, sample call)
ADMIN_RPC = ("authenticated", "service_role")
FUNCTIONS: dict[str, tuple[tuple[str, ...], bool, str | None]] = {
    "check_error_rate_threshold()": (ADMIN_RPC, True, "select * from public.check_error_rate_threshold()"),
    "check_performance_degradation()": (ADMIN_RPC, True, "select * from public.check_performance_degradation()"),
    "check_sms_delivery_failures()": (ADMIN_RPC, True, "select * from public.check_sms_delivery_failures()"),
    "cleanup_rate_limit_logs()": (("service_role",), False, None),
    "dismiss_alert(uuid)": (ADMIN_RPC, True, "select public.dismiss_alert(gen_random_uuid())"),
    "get_error_rate(integer,timestamp with time zone)": (ADMIN_RPC, True, "select * from public.get_error_rate(60)"),
    "get_system_health(timestamp with time zone)": (ADMIN_RPC, True, "select public.get_system_health()"),
    "monitoring.alert_seen(uuid)": (ADMIN_RPC, True, "select * from monitoring.alert_seen(gen_random_uuid())"),
    "monitoring.acknowledge_alert(uuid,text)": (ADMIN_RPC, True,
                                                "select * from monitoring.acknowledge_alert(gen_random_uuid())"),
    "monitoring.claim_notifications(text,integer,interval,uuid,timestamp with time zone)": (("service_role",), True,
                                                                                           None),
    # The alert-action function's, after it checked the link's signature.
    "monitoring.alert_action(uuid,uuid,text,interval,boolean,text,interval,timestamp with time zone)": (
        ("service_role",), True, None),
    "monitoring.create_silence(text,text,jsonb,interval,text,text)": (
        ADMIN_RPC, True, "select monitoring.create_silence('high_errors_per_hour', null, '{}', '1 hour', 'c')"),
    "monitoring.escalate(timestamp with time zone)": (ADMIN_RPC, True, "select monitoring.escalate()"),
    "monitoring.evaluate(text,timestamp with time zone)": (ADMIN_RPC, True,
                                                           "select * from monitoring.evaluate('database_size_gb')"),
    "monitoring.is_admin()": (ADMIN_RPC, False, None),
    # The one answer to "is the monitor alive?": `status`, the dashboard, check-alert-triggers (through watch).
    "monitoring.liveness(timestamp with time zone,interval)": (
        ADMIN_RPC, True, "select * from monitoring.liveness()"),
    "monitoring.watch(timestamp with time zone)": (("service_role",), True, None),
    "monitoring.set_schedules(text,text)": (("service_role",), True, None),
    "monitoring.dispatcher_evaluates()": (("service_role",), False, None),
    "monitoring.notify(text,text,text,text,jsonb,timestamp with time zone,text)": (
        ADMIN_RPC, True, "select * from monitoring.notify('info', 't', 'm', 'c')"),
    "monitoring.resolve_app_alert(text,text,timestamp with time zone)": (
        ADMIN_RPC, True, "select * from monitoring.resolve_app_alert('k')"),
    "monitoring.record_delivery(uuid,text,integer,text,integer,text,timestamp with time zone,text,text[])": (
        ("service_role",), True, None),
    "monitoring.release_notifications(text,uuid[])": (("service_role",), True, None),
    "monitoring.require_admin()": (ADMIN_RPC, True, "select monitoring.require_admin()"),
    "monitoring.resolve_alert(uuid,text)": (ADMIN_RPC, True,
                                            "select * from monitoring.resolve_alert(gen_random_uuid())"),
    # A mapping, no data of anyone's: the dashboard (signed-in admins) reads the app's words through it.
    "monitoring.severity_level(text)": (ADMIN_RPC, False, "select monitoring.severity_level('error')"),
    "monitoring.severity_rank(text)": (ADMIN_RPC, False, "select monitoring.severity_rank('high')"),
    "monitoring.system_health(timestamp with time zone)": (ADMIN_RPC, True, "select monitoring.system_health()"),
    "monitoring.verify_latest_backup(timestamp with time zone)": (
        ADMIN_RPC, True, "select * from monitoring.verify_latest_backup()"),
}  # fmt: skip
# Engine internals, metric functions, triggers and owner-only jobs: nobody but the owner.
for _name in (
    "apply_observation(monitoring.rules,jsonb,numeric,jsonb,boolean,timestamp with time zone)",
    "apply_observations(monitoring.rules,jsonb[],numeric[],jsonb[],boolean[],timestamp with time zone)",
    "apply_retention(timestamp with time zone,integer,text)",
    "breaches(numeric,text,numeric)",
    "build_digest(timestamp with time zone)",
    "cron_database()",
    "custom_rule_schedule(interval)",
    "cron_day_matches(timestamp without time zone,integer[])",
    "cron_field_values(text,integer,integer,text[])",
    "cron_next_run(text,timestamp with time zone,text)",
    "dispatch_missing()",
    "dispatch_via_pg_net()",
    "enable_pg_net()",
    "ensure_dispatch_job()",
    "schedule_evaluation()",
    "schedule_period(text)",
    "describe_interval(interval)",
    "drop_detached_partitions()",
    "ensure_day_partitions(regclass,timestamp with time zone,timestamp with time zone)",
    "function_calls_today(timestamp with time zone)",
    "maintain_partitions(timestamp with time zone,text)",
    "partition_by_day(text,text,interval,text[])",
    "partition_key(regclass)",
    "rollup_function_calls(timestamp with time zone)",
    "run_metric(monitoring.rules,timestamp with time zone)",
    "enqueue_notifications(uuid,text,timestamp with time zone)",
    "enqueue_notifications_many(uuid[],text,timestamp with time zone)",
    "evaluate_rule(monitoring.rules,timestamp with time zone)",
    "evaluate_on_schedule()",
    "fingerprint(jsonb)",
    "inhibiting_alert(uuid)",
    "form_groups(uuid,timestamp with time zone)",
    "group_labels(jsonb,text[])",
    "group_slot(text,text,text,interval,interval,timestamp with time zone)",
    "recipients_valid(text[])",
    "lock_rule(text)",
    "observe_engine_rule(text,jsonb,boolean,jsonb,timestamp with time zone,numeric,boolean)",
    "require_columns(text,text[])",
    "rules_check_metric_function()",
    "rules_schedule_custom()",
    "runbook_url(text)",
    "severity_words(text[])",
    "skipped_breaches(text,text,timestamp with time zone)",
    "system_alerts_sync_flags()",
    # Every metric has the one interface and is the owner's only; its file in sql/metrics/ is its row here.
    *(f"{path.stem}(monitoring.rules,timestamp with time zone)" for path in (ROOT / "sql" / "metrics").glob("*.sql")),
):  # fmt: skip
    FUNCTIONS[f"monitoring.{_name}"] = ((), False, None)
