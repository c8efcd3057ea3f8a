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
