//! Reading PostgreSQL's catalogue (`information_schema` and `pg_catalog`).

use sqlx::Row;
use sqlx::postgres::PgPool;
use storage::Database;
use storage::testing::TestDb;

use super::schema::{
    Column, ColumnDefault, Schema, Table, column_set, describe_foreign_key, describe_index, normalise_default,
};

pub(super) async fn read_postgres(t: &TestDb) -> Schema {
    let Database::Postgres { pool, .. } = &t.db else {
        panic!("{} is not PostgreSQL", t.label)
    };
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
         AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres tables");
    for name in tables {
        schema.tables.insert(name, Table::default());
    }
    read_postgres_columns(pool, &mut schema).await;
    read_postgres_constraints(pool, &mut schema).await;
    read_postgres_indexes(pool, &mut schema).await;
    for row in sqlx::query(
        "SELECT tg.tgname::text AS name, t.relname::text AS table_name FROM pg_trigger tg \
         JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT tg.tgisinternal",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres triggers")
    {
        schema.triggers.insert(format!(
            "{} on {}",
            row.get::<String, _>("name"),
            row.get::<String, _>("table_name")
        ));
    }
    schema
}

async fn read_postgres_columns(pool: &PgPool, schema: &mut Schema) {
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, \
         is_nullable = 'NO' AS not_null, column_default::text, is_identity = 'YES' AS identity \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres columns");
    for c in columns {
        let Some(table) = schema.tables.get_mut(&c.get::<String, _>("table_name")) else {
            continue;
        };
        let declared: String = c.get("data_type");
        let default = match c.get::<Option<String>, _>("column_default") {
            Some(raw) => normalise_default(&raw, declared == "boolean"),
            None if c.get::<bool, _>("identity") => ColumnDefault::Numbered,
            None => ColumnDefault::None,
        };
        table.columns.insert(
            c.get("column_name"),
            Column {
                kind: postgres_kind(&declared),
                declared,
                not_null: c.get("not_null"),
                default,
            },
        );
    }
}

async fn read_postgres_constraints(pool: &PgPool, schema: &mut Schema) {
    let constraints = sqlx::query(
        "SELECT t.relname::text AS table_name, con.contype::text AS kind, \
         ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
               ORDER BY k.ord) AS columns, \
         r.relname::text AS target, \
         ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum \
               ORDER BY k.ord) AS target_columns, \
         con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update \
         FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN pg_class r ON r.oid = con.confrelid \
         WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres constraints");
    let action = |code: &str| match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        other => panic!("unknown foreign key action {other}"),
    };
    for c in constraints {
        let Some(table) = schema.tables.get_mut(&c.get::<String, _>("table_name")) else {
            continue;
        };
        let columns: Vec<String> = c.get("columns");
        if c.get::<String, _>("kind") == "p" {
            table.primary_key = columns;
        } else {
            table.foreign_keys.insert(describe_foreign_key(
                &columns,
                &c.get::<String, _>("target"),
                &c.get::<Vec<String>, _>("target_columns"),
                action(&c.get::<String, _>("on_delete")),
                action(&c.get::<String, _>("on_update")),
            ));
        }
    }
}

async fn read_postgres_indexes(pool: &PgPool, schema: &mut Schema) {
    let indexes = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS table_name, \
         x.indisunique AS is_unique, x.indisprimary AS is_primary, \
         x.indpred IS NOT NULL AS partial, \
         EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid \
                 AND c.contype IN ('p', 'u', 'x')) AS for_constraint, \
         ARRAY(SELECT COALESCE(a.attname::text, '(expression)') \
               FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
               LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
               ORDER BY k.ord) AS columns \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("list postgres indexes");
    for x in indexes {
        let table_name: String = x.get("table_name");
        let Some(table) = schema.tables.get_mut(&table_name) else {
            continue;
        };
        let columns: Vec<String> = x.get("columns");
        let unique: bool = x.get("is_unique");
        let partial: bool = x.get("partial");
        if unique && !x.get::<bool, _>("is_primary") {
            table
                .uniques
                .insert(column_set(columns.clone()) + if partial { " (partial)" } else { "" });
        }
        // An index that a PRIMARY KEY or UNIQUE constraint made is compared as the
        // constraint; the rest were made by name.
        if !x.get::<bool, _>("for_constraint") {
            schema.indexes.insert(
                x.get("name"),
                describe_index(&table_name, &columns, unique, partial),
            );
        }
    }
}

/// The kind of a PostgreSQL type (`information_schema.columns.data_type`).
fn postgres_kind(data_type: &str) -> String {
    match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "boolean" => "boolean",
        "real" | "double precision" => "real",
        "numeric" => "numeric",
        "text" | "character varying" | "character" => "text",
        "timestamp with time zone" => "timestamptz",
        "date" => "date",
        "bytea" => "blob",
        other => other,
    }
    .to_owned()
}
