-- monitoring.metric_backup_age_hours(rule, now): hours since the newest verified backup in monitoring.backup_log
-- finished. No verified backup recorded is no data. The detail carries WAL archiving as far as SQL sees it
-- (pg_stat_archiver: archived and failed counts, last failure). Metric interface; called by monitoring.evaluate.
create or replace function monitoring.metric_backup_age_hours(p_rule monitoring.rules, p_now timestamptz)
returns table (value numeric, labels jsonb, detail jsonb, no_data boolean)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
    return query
    with newest as (
        select b.finished_at, b.kind, b.location
          from monitoring.backup_log as b
         where b.verified and b.finished_at <= p_now
         order by b.finished_at desc
         limit 1
    )
    select
        pg_catalog.round((extract(epoch from p_now - n.finished_at) / 3600)::numeric, 1),
        '{}'::jsonb,
        pg_catalog.jsonb_build_object(
            'newest_backup_at', n.finished_at,
            'kind', n.kind,
            'location', n.location,
            'wal_archived_count', a.archived_count,
            'wal_failed_count', a.failed_count,
            'wal_last_failed_at', a.last_failed_time,
            'rule', p_rule.key,
            'summary', case when n.finished_at is null
                then 'no verified backup recorded (python deploy.py backups record)'
                else pg_catalog.format('newest verified %s backup finished %s hour(s) ago', n.kind,
                    pg_catalog.round((extract(epoch from p_now - n.finished_at) / 3600)::numeric, 1))
            end
        ),
        n.finished_at is null
      from pg_catalog.pg_stat_archiver as a
      left join newest as n on true;
end;
$$;

comment on function monitoring.metric_backup_age_hours(monitoring.rules, timestamptz) is
'Metric: hours since the newest verified backup_log row; none is no data. Detail: pg_stat_archiver.';

revoke execute on function monitoring.metric_backup_age_hours(monitoring.rules, timestamptz)
from public, anon, authenticated;
