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
