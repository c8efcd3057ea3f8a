-- monitoring.recipients_valid(recipients): returns whether every entry is an email address or an E.164 phone
-- number, the two kinds a channel sender can reach (a Slack webhook has no recipients). Immutable, for the CHECK
-- on monitoring.escalation_steps.recipients; engine only.
create or replace function monitoring.recipients_valid(p_recipients text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
    select not exists (
        select from pg_catalog.unnest(p_recipients) as r (recipient)
         where r.recipient !~ '^(\+[1-9][0-9]{6,14}|[^@,\s<>]+@[^@,\s<>]+\.[^@,\s<>]+)$'
    )
$$;

comment on function monitoring.recipients_valid(text[]) is
'Whether every recipient is an email address or an E.164 number. For CHECK constraints.';

revoke execute on function monitoring.recipients_valid(text[]) from public, anon, authenticated;
