-- monitoring.metric_failed_emails(rule, now): public.email_delivery_log rows in the window whose delivery_status is
-- 'failed'. A table that has never had a row is no data. Metric interface; called by monitoring.evaluate only.
create or replace function monitoring.metric_failed_emails(p_rule monitoring.rules, p_now timestamptz)
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
    v_failed bigint;
    v_no_data boolean := false;
begin
    select pg_catalog.count(*)
      into v_failed
      from public.email_delivery_log as e
     where e.created_at > v_from and e.created_at <= p_now
       and e.delivery_status = 'failed';
    -- A row in the window settles it; only an empty window plans a look at the whole table.
    if v_failed = 0 and not exists (select from public.email_delivery_log as x
                                     where x.created_at > v_from and x.created_at <= p_now) then
        v_no_data := not exists (select from public.email_delivery_log as x);
    end if;
    return query select
        v_failed::numeric,
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'failed_count', v_failed,
            'summary', pg_catalog.format(
                '%s email(s) failed in the last %s', v_failed, monitoring.describe_interval(p_rule.time_window))
        ),
        v_no_data;
end;
$$;

comment on function monitoring.metric_failed_emails(monitoring.rules, timestamptz) is
'Metric: failed rows of email_delivery_log in the window; an empty table is no data.';

revoke execute on function monitoring.metric_failed_emails(monitoring.rules, timestamptz)
from public, anon, authenticated;
