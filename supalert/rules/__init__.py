"""Alert rules outside the database: the value kinds of a rule's settable fields (values), a rules TOML file or
FIELD=VALUE words checked without a database (config), the rows of monitoring.rules read and changed (store), and
the rule files under rules/ that define each shipped rule (stems)."""
