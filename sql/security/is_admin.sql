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
        (select (select auth.jwt() -> 'app_metadata' ->> 'role') = any (s.admin_roles)
           from monitoring.settings as s),
        false
    )
$$;

comment on function monitoring.is_admin() is
'True when auth.jwt() app_metadata.role is one of monitoring.settings.admin_roles. For RLS policies and admin RPCs.';

revoke execute on function monitoring.is_admin() from public, anon;
grant execute on function monitoring.is_admin() to authenticated, service_role;
