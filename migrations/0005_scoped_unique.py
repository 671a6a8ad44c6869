"""Scoped uniqueness that NULLs cannot dodge: role grants, targets and regions.

The plain composite unique indexes of 0001 never bit, because every row has a NULL in
them and NULLs are distinct in SQLite and PostgreSQL. Expression indexes over COALESCE
make (user, role, firm, branch, region) and (year, metric, region, firm) really unique.
"""

INDEXES = [
    ("region", "region_parent_id_name", "region_parent_name_unique",
     "COALESCE(parent_id, 0), name"),
    ("role_grant", "rolegrant_user_id_role_firm_id_branch_id_region_id", "role_grant_scope_unique",
     "user_id, role, COALESCE(firm_id, 0), COALESCE(branch_id, 0), COALESCE(region_id, 0)"),
    ("target", "target_year_metric_region_id_firm_id", "target_scope_unique",
     "year, metric, COALESCE(region_id, 0), COALESCE(firm_id, 0)"),
]


def up(migrator, db):
    for table, old, new, columns in INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{old}"')
        db.execute_sql(f'CREATE UNIQUE INDEX "{new}" ON "{table}" ({columns})')


def down(migrator, db):
    for table, old, new, _columns in INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{new}"')
    db.execute_sql('CREATE UNIQUE INDEX "region_parent_id_name" ON "region" ("parent_id", "name")')
    db.execute_sql('CREATE UNIQUE INDEX "rolegrant_user_id_role_firm_id_branch_id_region_id" '
                   'ON "role_grant" ("user_id", "role", "firm_id", "branch_id", "region_id")')
    db.execute_sql('CREATE UNIQUE INDEX "target_year_metric_region_id_firm_id" '
                   'ON "target" ("year", "metric", "region_id", "firm_id")')
