-- monitoring.require_admin(): returns nothing; raises insufficient_privilege unless the caller may run supalert's
-- admin functions. Requests through the Data API run as anon or authenticated, and only an admin
-- (monitoring.is_admin()) passes; service_role and database logins (psql, pg_cron, deploy.py) pass.
-- current_setting('role') names the role the request switched to even inside a security definer function,
-- where current_user is the owner. Called at the top of every admin function.
create or replace function monitoring.require_admin()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    -- coalesce: a missing settings row must mean "not an admin", never let a NULL through.
    if pg_catalog.current_setting('role') in ('anon', 'authenticated')
       and not coalesce(monitoring.is_admin(), false) then
        raise exception 'permission denied: this supalert function is for admins only'
            using errcode = 'insufficient_privilege',
                  hint = 'Sign in as a user whose app_metadata.role is in monitoring.settings.admin_roles.';
    end if;
end;
$$;

comment on function monitoring.require_admin() is
'Raises insufficient_privilege unless the caller is an admin user, service_role or a database login.';

revoke execute on function monitoring.require_admin() from public, anon;
grant execute on function monitoring.require_admin() to authenticated, service_role;
