-- 20261129185852_platform_functions: written by `python deploy.py new-migration platform_functions`.
-- Blocks between supalert:source and supalert:end are copies of sql/; change sql/ and generate a new
-- migration instead of editing them. Hand-written statements may go above or below the blocks.

-- supalert:source sql/functions/is_admin.sql sha256=e151ba5866720e5f60b8e493b29023bf7619c047225c438a32d899aa186a81aa
-- monitoring.is_admin(): true when the caller's JWT carries an admin role in app_metadata.
-- Admin roles are data (monitoring.settings.admin_roles, default {admin}); app_metadata is used because users
-- cannot edit it (user_metadata they can). Called by RLS policies and admin RPCs as `authenticated`;
-- security definer only to read monitoring.settings, which no API role can read directly.
create or replace function monitoring.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select coalesce(
        (select auth.jwt() -> 'app_metadata' ->> 'role') = any (s.admin_roles),
        false
    )
    from monitoring.settings as s
$$;

comment on function monitoring.is_admin() is
'True when auth.jwt() app_metadata.role is one of monitoring.settings.admin_roles. For RLS policies and admin RPCs.';

revoke execute on function monitoring.is_admin() from public, anon;
grant execute on function monitoring.is_admin() to authenticated, service_role;
-- supalert:end sql/functions/is_admin.sql

-- supalert:source sql/functions/require_columns.sql sha256=ab84f1c300311a3e363f6b97082dd87504a6fca336718211eb109550e5db391d
-- monitoring.require_columns(table, columns): returns nothing; raises when `p_table` already exists without some
-- of `p_columns`, naming them. Migrations call it before `create table if not exists`, so a platform table with
-- other columns stops the migration with a clear message instead of a confusing failure later. Owner only.
create or replace function monitoring.require_columns(p_table text, p_columns text[])
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
    v_missing text[];
begin
    if pg_catalog.to_regclass(p_table) is null then
        return;
    end if;
    select pg_catalog.array_agg(wanted.col order by wanted.ord)
      into v_missing
      from pg_catalog.unnest(p_columns) with ordinality as wanted (col, ord)
     where not exists (
           select
             from pg_catalog.pg_attribute as a
            where a.attrelid = pg_catalog.to_regclass(p_table)
              and a.attname = wanted.col
              and a.attnum > 0
              and not a.attisdropped);
    if v_missing is not null then
        raise exception '% already exists without the column(s) supalert needs: %',
            p_table, pg_catalog.array_to_string(v_missing, ', ')
            using hint = pg_catalog.format(
                'Add them (alter table %s add column ...) or rename the existing table, then run migrate again.',
                p_table),
                  errcode = 'undefined_column';
    end if;
end;
$$;

comment on function monitoring.require_columns(text, text[]) is
'Raises, naming the missing columns, when p_table exists without all of p_columns. Used by migrations.';

revoke execute on function monitoring.require_columns(text, text[]) from public, anon, authenticated;
-- supalert:end sql/functions/require_columns.sql

-- supalert:source sql/functions/system_alerts_sync_flags.sql sha256=826c8adcf33a8947c15fa2491ee512bdcc2e90709484f130d3c6adfd638dba18
-- monitoring.system_alerts_sync_flags(): trigger on public.system_alerts; returns the row to write.
-- The seed's dashboard reads `dismissed` and `is_read` and may set them; the lifecycle lives in `status`. This
-- keeps the three consistent: a status change sets both flags (true unless firing); setting either flag on a firing
-- alert acknowledges it; clearing a flag on an acknowledged alert puts it back to firing. Trigger only.
create or replace function monitoring.system_alerts_sync_flags()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'UPDATE' and new.status is not distinct from old.status then
        if new.status = 'firing' and (new.dismissed or new.is_read) then
            new.status := 'acknowledged';
            new.acknowledged_at := coalesce(new.acknowledged_at, pg_catalog.now());
            new.acknowledged_by := coalesce(new.acknowledged_by, auth.email(), auth.uid()::text, current_user);
        elsif new.status = 'acknowledged' and not (new.dismissed and new.is_read) then
            new.status := 'firing';
            new.acknowledged_at := null;
            new.acknowledged_by := null;
        end if;
    end if;
    new.dismissed := new.status <> 'firing';
    new.is_read := new.dismissed;
    return new;
end;
$$;

comment on function monitoring.system_alerts_sync_flags() is
'Trigger: keeps system_alerts.dismissed and is_read equal to (status <> firing); setting a flag acknowledges.';

revoke execute on function monitoring.system_alerts_sync_flags() from public, anon, authenticated;
-- supalert:end sql/functions/system_alerts_sync_flags.sql

-- supalert:source sql/cron/cleanup_cron_history.sql sha256=f870571d5821b6d04a1378979dc37686c4bbb3300443ee3eb646e03904dfb762
-- Job supalert-cleanup-cron-history: daily at 03:17 UTC, deletes pg_cron's run log older than 7 days.
-- pg_cron never purges cron.job_run_details, and the every-minute evaluation job adds 1,440 rows a day.
-- Scheduling by name updates the job in place, so re-running this file is safe.
select cron.schedule(
    'supalert-cleanup-cron-history',
    '17 3 * * *',
    $$delete from cron.job_run_details where end_time < now() - interval '7 days'$$
);
-- supalert:end sql/cron/cleanup_cron_history.sql
