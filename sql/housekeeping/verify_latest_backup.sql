-- monitoring.verify_latest_backup(now): evaluate's rows for the backup_stale rule. The seed's weekly (Sunday 01:00)
-- check, kept under its name: alerts when the newest verified backup in monitoring.backup_log is older than the
-- rule's threshold (hours), with WAL archiving status in the detail. Admins, service_role and database logins.
create or replace function monitoring.verify_latest_backup(p_now timestamptz default pg_catalog.now())
returns table (
    rule text, labels jsonb, value numeric, threshold numeric, state text, alert_id uuid, summary text
)
language plpgsql
set search_path = ''
as $$
begin
    return query select * from monitoring.evaluate('backup_stale', p_now);
end;
$$;

comment on function monitoring.verify_latest_backup(timestamptz) is
'Evaluates backup_stale now: alert when the newest verified backup is too old (the seed''s weekly check).';

revoke execute on function monitoring.verify_latest_backup(timestamptz) from public, anon;
grant execute on function monitoring.verify_latest_backup(timestamptz) to authenticated, service_role;
