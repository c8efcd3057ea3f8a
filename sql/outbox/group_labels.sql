-- monitoring.group_labels(labels, group_by): returns the alert's labels that name its group (those of p_group_by
-- it has), {} when none. The one definition behind a grouped row's key (enqueue_notifications) and a group
-- message's labels (form_groups). Engine only.
create or replace function monitoring.group_labels(p_labels jsonb, p_group_by text[])
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select coalesce(pg_catalog.jsonb_object_agg(g.name, p_labels -> g.name), '{}'::jsonb)
      from pg_catalog.unnest(p_group_by) as g (name)
     where p_labels ? g.name
$$;

comment on function monitoring.group_labels(jsonb, text[]) is
'The labels of an alert that name its group (monitoring.rules.group_by). Engine only.';

revoke execute on function monitoring.group_labels(jsonb, text[]) from public, anon, authenticated;
