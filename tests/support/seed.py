"""The seed's ALERT_THRESHOLDS (../shared/seed, scripts/alert-config.ts), written once: the independent statement
the migrations' rules and alert-config.toml are both checked against. One metric rule each."""

SEED_THRESHOLDS = {
    "critical_errors_per_hour": 5, "high_errors_per_hour": 20, "error_rate_percentage": 5,
    "slow_response_time_ms": 3000, "very_slow_response_time_ms": 10000, "page_load_time_ms": 5000,
    "failed_sms_per_hour": 10, "failed_emails_per_hour": 20, "sms_bounce_rate": 10, "database_size_gb": 8,
    "function_calls_per_day": 400000, "bandwidth_gb_per_month": 40, "low_credit_balance": 100,
    "failed_gift_card_provisions": 5, "concurrent_users_threshold": 100,
}  # fmt: skip
