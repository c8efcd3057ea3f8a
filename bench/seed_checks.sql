-- The seed's three alert checks, copied verbatim from the monitoring guide (../shared/seed/) for bench/scale.py;
-- tests/test_vendored_copies.py proves the copy equal to the guide. Never installed by a migration.

CREATE OR REPLACE FUNCTION check_error_rate_threshold()
RETURNS void AS $$
DECLARE
  v_error_count BIGINT;
  v_threshold INTEGER := 5; -- From ALERT_THRESHOLDS
BEGIN
  -- Count errors in last hour
  SELECT COUNT(*) INTO v_error_count
  FROM error_logs
  WHERE occurred_at >= NOW() - INTERVAL '1 hour'
    AND severity IN ('high', 'critical');
  
  -- If threshold exceeded, create alert
  IF v_error_count > v_threshold THEN
    INSERT INTO system_alerts (
      alert_type,
      title,
      message,
      severity,
      metadata
    ) VALUES (
      'high_error_rate',
      'High Error Rate Detected',
      format('Detected %s errors in the last hour', v_error_count),
      'critical',
      jsonb_build_object(
        'error_count', v_error_count,
        'threshold', v_threshold,
        'time_window', '1 hour'
      )
    );
    
    -- Trigger notification function
    PERFORM send_alert_notification(
      'high_error_rate',
      'High Error Rate Detected',
      format('Detected %s errors in the last hour. Threshold is %s.', v_error_count, v_threshold)
    );
  END IF;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;

CREATE OR REPLACE FUNCTION check_performance_degradation()
RETURNS void AS $$
DECLARE
  v_avg_duration NUMERIC;
  v_threshold INTEGER := 3000; -- 3 seconds
BEGIN
  -- Calculate average response time (last hour)
  SELECT AVG(duration_ms) INTO v_avg_duration
  FROM performance_metrics
  WHERE metric_type = 'edge_function'
    AND recorded_at >= NOW() - INTERVAL '1 hour';
  
  -- If threshold exceeded, create alert
  IF v_avg_duration > v_threshold THEN
    INSERT INTO system_alerts (
      alert_type,
      title,
      message,
      severity,
      metadata
    ) VALUES (
      'performance_degradation',
      'Performance Degradation Detected',
      format('Average response time: %sms (threshold: %sms)', ROUND(v_avg_duration), v_threshold),
      'warning',
      jsonb_build_object(
        'avg_duration_ms', v_avg_duration,
        'threshold_ms', v_threshold
      )
    );
  END IF;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;

CREATE OR REPLACE FUNCTION check_sms_delivery_failures()
RETURNS void AS $$
DECLARE
  v_failed_count BIGINT;
  v_total_count BIGINT;
  v_failure_rate NUMERIC;
  v_threshold INTEGER := 10; -- 10% failure rate
BEGIN
  -- Count SMS in last hour
  SELECT 
    COUNT(*) FILTER (WHERE delivery_status = 'failed'),
    COUNT(*)
  INTO v_failed_count, v_total_count
  FROM sms_delivery_log
  WHERE created_at >= NOW() - INTERVAL '1 hour';
  
  -- Skip if no SMS sent
  IF v_total_count = 0 THEN
    RETURN;
  END IF;
  
  v_failure_rate := (v_failed_count::NUMERIC / v_total_count) * 100;
  
  -- If threshold exceeded, create alert
  IF v_failure_rate > v_threshold THEN
    INSERT INTO system_alerts (
      alert_type,
      title,
      message,
      severity,
      metadata
    ) VALUES (
      'high_sms_failure_rate',
      'High SMS Failure Rate',
      format('%s of %s SMS messages failed (%s%%)', 
        v_failed_count, v_total_count, ROUND(v_failure_rate, 2)),
      'high',
      jsonb_build_object(
        'failed_count', v_failed_count,
        'total_count', v_total_count,
        'failure_rate', v_failure_rate
      )
    );
  END IF;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
