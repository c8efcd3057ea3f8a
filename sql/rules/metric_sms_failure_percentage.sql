-- monitoring.metric_sms_failure_percentage(rule, now): the percentage of public.sms_delivery_log rows in the window
-- whose delivery_status is in params.statuses (default failed: the seed's check_sms_delivery_failures; the
-- sms_bounce_rate rule counts undelivered and bounced). No SMS in the window is no data (the seed skipped the
-- check). Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_sms_failure_percentage(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
-- One generic plan per session, pruned to the window's partitions at run time; a custom plan would plan every
-- partition again on each call.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    with wanted as (
        select coalesce(
            (select pg_catalog.array_agg(x.status order by x.status)
               from pg_catalog.jsonb_array_elements_text(p_rule.params -> 'statuses') as x (status)),
            array['failed']
        ) as statuses
    ),
    counted as (
        select pg_catalog.count(*) filter (where s.delivery_status = any (w.statuses)) as failed,
               pg_catalog.count(*) as total
          from public.sms_delivery_log as s, wanted as w
         where s.created_at > p_now - p_rule.time_window
           and s.created_at <= p_now
    )
    select
        case when c.total > 0 then pg_catalog.round(c.failed * 100.0 / c.total, 2) end,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'total_count', c.total,
            'summary', case when c.total = 0
                then pg_catalog.format('no SMS sent in the last %s', monitoring.describe_interval(p_rule.time_window))
                else pg_catalog.format('%s of %s SMS %s (%s%%) in the last %s',
                    c.failed, c.total, (select pg_catalog.array_to_string(w.statuses, '/') from wanted as w),
                    pg_catalog.round(c.failed * 100.0 / c.total, 2), monitoring.describe_interval(p_rule.time_window))
            end
        ),
        c.total = 0
      from counted as c;
end;
$$;

comment on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz) is
'Metric: percentage of sms_delivery_log rows with delivery_status failed in the window; no SMS is no data.';

revoke execute on function monitoring.metric_sms_failure_percentage(monitoring.rules, timestamptz)
from public, anon, authenticated;
