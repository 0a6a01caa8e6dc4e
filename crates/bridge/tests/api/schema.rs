//! The SQLite and PostgreSQL schemas agree: a fresh SQLite file and a fresh PostgreSQL database,
//! each migrated by the bridge, have the same tables, columns (type family and nullability),
//! primary keys, unique constraints and named indexes. The migrations are written once where
//! their SQL runs on both (`migrations/shared/`); this test keeps the two that differ honest.

use std::collections::{BTreeMap, BTreeSet};

use bridge::db::Db;
use sqlx::Row as _;

use crate::helpers::postgres_database;

/// One table: columns (type family, NOT NULL), the column sets that are unique (primary key,
/// unique constraints, unique indexes), and the indexes made by name (columns, unique, partial).
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, (String, bool)>,
    unique: BTreeSet<Vec<String>>,
    indexes: BTreeMap<String, (Vec<String>, bool, bool)>,
}

type Schema = BTreeMap<String, Table>;

/// The family of a declared type, as both databases store it.
fn family(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let family = if t.contains("int") || t == "bigserial" || t == "serial" {
        "integer"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("real") || t.contains("double") || t.contains("float") || t == "numeric" {
        "real"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("blob") || t == "bytea" {
        "blob"
    } else {
        return t;
    };
    family.to_owned()
}

fn names(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn sqlite_schema(db: &Db) -> Schema {
    let mut schema = Schema::new();
    let tables = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'",
    )
    .fetch_all(db.pool())
    .await
    .expect("tables");
    for row in tables {
        let name: String = row.try_get("name").expect("name");
        let mut table = Table::default();
        let mut primary: Vec<(i64, String)> = Vec::new();
        let columns =
            sqlx::query("SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info($1)")
                .bind(&name)
                .fetch_all(db.pool())
                .await
                .expect("columns");
        for c in columns {
            let column: String = c.try_get("name").expect("name");
            let declared: String = c.try_get("type").expect("type");
            let not_null: i64 = c.try_get("nn").expect("notnull");
            let pk: i64 = c.try_get("pk").expect("pk");
            if pk > 0 {
                primary.push((pk, column.clone()));
            }
            table
                .columns
                .insert(column, (family(&declared), not_null == 1 || pk > 0));
        }
        primary.sort();
        if !primary.is_empty() {
            table
                .unique
                .insert(primary.into_iter().map(|(_, c)| c).collect());
        }
        let indexes =
            sqlx::query("SELECT name, \"unique\" AS u, origin, partial FROM pragma_index_list($1)")
                .bind(&name)
                .fetch_all(db.pool())
                .await
                .expect("indexes");
        for i in indexes {
            let index: String = i.try_get("name").expect("name");
            let unique: i64 = i.try_get("u").expect("unique");
            let origin: String = i.try_get("origin").expect("origin");
            let partial: i64 = i.try_get("partial").expect("partial");
            let cols: Vec<String> =
                sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(db.pool())
                    .await
                    .expect("index columns")
                    .iter()
                    .map(|r| r.try_get::<String, _>("name").expect("column"))
                    .collect();
            if unique == 1 && partial == 0 {
                table.unique.insert(cols.clone());
            }
            if origin == "c" {
                table
                    .indexes
                    .insert(index, (cols, unique == 1, partial == 1));
            }
        }
        schema.insert(name, table);
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let mut schema = Schema::new();
    let tables = sqlx::query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(db.pool())
    .await
    .expect("tables");
    for row in tables {
        let name: String = row.try_get("name").expect("name");
        let mut table = Table::default();
        let columns = sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS type, is_nullable::text AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(&name)
        .fetch_all(db.pool())
        .await
        .expect("columns");
        for c in columns {
            let column: String = c.try_get("name").expect("name");
            let declared: String = c.try_get("type").expect("type");
            let nullable: String = c.try_get("nullable").expect("nullable");
            table
                .columns
                .insert(column, (family(&declared), nullable == "NO"));
        }
        // Every index of the table: its columns in order, whether unique or partial, and
        // whether it only backs a constraint (primary key, UNIQUE) rather than being named.
        let indexes = sqlx::query(
            "SELECT i.relname::text AS name, ix.indisunique AS uniq, \
             (ix.indpred IS NOT NULL) AS partial, \
             EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) AS backs, \
             (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
                FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
                JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS cols \
             FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND t.relname = $1",
        )
        .bind(&name)
        .fetch_all(db.pool())
        .await
        .expect("indexes");
        for i in indexes {
            let index: String = i.try_get("name").expect("name");
            let unique: bool = i.try_get("uniq").expect("unique");
            let partial: bool = i.try_get("partial").expect("partial");
            let backs: bool = i.try_get("backs").expect("backs");
            let cols = names(&i.try_get::<String, _>("cols").expect("cols"));
            if unique && !partial {
                table.unique.insert(cols.clone());
            }
            if !backs {
                table.indexes.insert(index, (cols, unique, partial));
            }
        }
        schema.insert(name, table);
    }
    schema
}

#[tokio::test]
async fn both_databases_migrate_to_the_same_schema() {
    let Some(postgres_url) = postgres_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_url = format!("sqlite://{}/schema.db?mode=rwc", dir.path().display());
    let sqlite = Db::connect(&sqlite_url).await.expect("sqlite");
    sqlite.migrate().await.expect("sqlite migrations");
    let postgres = Db::connect(&postgres_url).await.expect("postgres");
    postgres.migrate().await.expect("postgres migrations");
    let (s, p) = (
        sqlite_schema(&sqlite).await,
        postgres_schema(&postgres).await,
    );
    sqlite.close().await;
    postgres.close().await;
    assert!(s.len() >= 10, "the tables were read: {:?}", s.keys());
    assert_eq!(
        s.keys().collect::<Vec<_>>(),
        p.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in &s {
        assert_eq!(
            Some(table),
            p.get(name),
            "table {name}: SQLite vs PostgreSQL"
        );
    }
}

#[test]
fn declared_types_fall_into_the_same_families() {
    assert_eq!(family("INTEGER"), family("bigint"));
    assert_eq!(family("BIGINT"), family("integer"));
    assert_eq!(family("TEXT"), family("character varying"));
    assert_ne!(family("TEXT"), family("bigint"));
}
