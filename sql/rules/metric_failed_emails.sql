-- monitoring.metric_failed_emails(rule, now): public.email_delivery_log rows in the window whose delivery_status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_emails(p_rule monitoring.rules, p_now timestamptz)
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
    select
        c.failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', c.failed,
            'summary', pg_catalog.format(
                '%s email(s) failed in the last %s', c.failed, monitoring.describe_interval(p_rule.time_window))
        ),
        -- A row in the window settles it without looking at the rest of the table.
        case when exists (select from public.email_delivery_log as x
                           where x.created_at > p_now - p_rule.time_window and x.created_at <= p_now)
            then false
            else (select pg_catalog.max(x.created_at) from public.email_delivery_log as x) is null
        end
      from (
          select pg_catalog.count(*) as failed
            from public.email_delivery_log as e
           where e.delivery_status = 'failed'
             and e.created_at > p_now - p_rule.time_window and e.created_at <= p_now
      ) as c;
end;
$$;

comment on function monitoring.metric_failed_emails(monitoring.rules, timestamptz) is
'Metric: failed rows of email_delivery_log in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_emails(monitoring.rules, timestamptz)
from public, anon, authenticated;
