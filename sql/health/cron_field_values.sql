-- monitoring.cron_field_values(field, low, high, names): the values one field of a cron schedule allows, sorted
-- (e.g. '1-10/3' -> {1,4,7,10}; 'mon,fri' with day names -> {1,5}); null when the field cannot be read. Names
-- (jan..dec, sun..sat) count from `low`; '$' (pg_cron's last day of the month) is -1; a day of week 7 is 0.
-- Read by monitoring.cron_next_run only; owner only.
create or replace function monitoring.cron_field_values(p_field text, p_low integer, p_high integer, p_names text[])
returns integer[]
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_part text;
    v_range text;
    v_step integer;
    v_from integer;
    v_to integer;
    v_values integer[] := '{}'::integer[];
    v_match text[];
begin
    foreach v_part in array pg_catalog.string_to_array(pg_catalog.lower(p_field), ',') loop
        if v_part = '$' then
            v_values := v_values || -1;
            continue;
        end if;
        v_range := pg_catalog.split_part(v_part, '/', 1);
        v_step := coalesce(nullif(pg_catalog.split_part(v_part, '/', 2), '')::integer, 1);
        if v_step < 1 then
            return null;
        end if;
        if v_range = '*' then
            v_from := p_low;
            v_to := p_high;
        else
            v_match := pg_catalog.regexp_match(v_range, '^([a-z0-9]+)(?:-([a-z0-9]+))?$');
            if v_match is null then
                return null;
            end if;
            v_from := coalesce(
                pg_catalog.array_position(p_names, v_match[1]) + p_low - 1,
                case when v_match[1] ~ '^\d+$' then v_match[1]::integer end
            );
            v_to := coalesce(
                pg_catalog.array_position(p_names, v_match[2]) + p_low - 1,
                case when v_match[2] ~ '^\d+$' then v_match[2]::integer end,
                -- 'a/n' runs from a to the end of the field
                case when pg_catalog.strpos(v_part, '/') > 0 then p_high else v_from end
            );
        end if;
        -- a day of week may be written 7 (Sunday), one past the field's high end
        if v_from is null or v_to is null or v_from < p_low or v_from > v_to
           or v_to > p_high + (case when p_high = 6 then 1 else 0 end) then
            return null;
        end if;
        v_values := v_values || array(select pg_catalog.generate_series(v_from, v_to, v_step));
    end loop;
    return array(
        select distinct case when p_high = 6 and v.n = 7 then 0 else v.n end
          from pg_catalog.unnest(v_values) as v (n)
         order by 1
    );
exception when invalid_text_representation or numeric_value_out_of_range then
    return null;
end;
$$;

comment on function monitoring.cron_field_values(text, integer, integer, text[]) is
'The values one cron schedule field allows (null when unreadable). Read by monitoring.cron_next_run.';

revoke execute on function monitoring.cron_field_values(text, integer, integer, text[])
from public, anon, authenticated;
