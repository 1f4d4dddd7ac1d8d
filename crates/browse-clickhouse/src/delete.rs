//! A knowledge base's rows in KATO's tables, and their removal: `ALTER TABLE … DROP PARTITION '<kb_id>'` where
//! the table is partitioned by `kb_id` (KATO's schema, and what its `clear-all` runs), else a lightweight
//! `DELETE FROM … WHERE kb_id = …` (synchronous by ClickHouse's default).

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::{ClickHouseBrowser, KATO_TABLES, error::Result, query::validate_kb_id};

/// One table's rows of a knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRows {
    /// `patterns_data`, `lsh_buckets` or `pattern_stats`.
    pub table: String,
    /// Rows of the knowledge base (before a delete: what it would remove; after: what it removed).
    pub rows: u64,
    /// The statement that removes them, with the kb_id as ClickHouse receives it.
    pub statement: String,
}

/// A knowledge base's rows in every KATO table that exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KbRows {
    /// The database (`CLICKHOUSE_DATABASE`).
    pub database: String,
    /// Per table, in name order.
    pub tables: Vec<TableRows>,
    /// All rows.
    pub rows: u64,
}

#[derive(Debug, Deserialize, Row)]
struct TableInfo {
    name: String,
    partition_key: String,
}

/// `'…'` escaped as the client binds it (for showing the statement; the real one is bound by the client).
fn literal(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if matches!(c, '\'' | '\\' | '`' | '\t' | '\n') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

impl ClickHouseBrowser {
    async fn kato_tables(&self) -> Result<Vec<TableInfo>> {
        let query = self
            .client()?
            .query(
                "SELECT ?fields FROM system.tables WHERE database = currentDatabase() AND has(?, name) \
                 ORDER BY name",
            )
            .bind(&KATO_TABLES[..])
            .fetch_all::<TableInfo>();
        self.run(query).await
    }

    async fn count_in(&self, table: &str, kb_id: &str) -> Result<u64> {
        // `table` is one of KATO_TABLES, never request input.
        let sql = format!("SELECT count() FROM {table} WHERE kb_id = ?");
        let query = self.client()?.query(&sql).bind(kb_id).fetch_one::<u64>();
        self.run(query).await
    }

    fn statement(&self, table: &TableInfo, kb_id: &str) -> String {
        let db = self.database();
        if table.partition_key.trim() == "kb_id" {
            format!(
                "ALTER TABLE {db}.{} DROP PARTITION {}",
                table.name,
                literal(kb_id)
            )
        } else {
            format!(
                "DELETE FROM {db}.{} WHERE kb_id = {}",
                table.name,
                literal(kb_id)
            )
        }
    }

    /// The rows of `kb_id` in each of KATO's tables that exists (a dry run of [`Self::drop_knowledge_base`]).
    pub async fn knowledge_base_rows(&self, kb_id: &str) -> Result<KbRows> {
        let kb_id = validate_kb_id(kb_id)?;
        let mut tables = Vec::new();
        for table in self.kato_tables().await? {
            tables.push(TableRows {
                rows: self.count_in(&table.name, kb_id).await?,
                statement: self.statement(&table, kb_id),
                table: table.name,
            });
        }
        Ok(KbRows {
            database: self.database().to_owned(),
            rows: tables.iter().map(|t| t.rows).sum(),
            tables,
        })
    }

    /// Removes every row of `kb_id` from KATO's tables and answers what was removed (rows before minus rows
    /// after, counted by ClickHouse). Tables without rows of it are left alone.
    pub async fn drop_knowledge_base(&self, kb_id: &str) -> Result<KbRows> {
        let kb_id = validate_kb_id(kb_id)?;
        let mut tables = Vec::new();
        for table in self.kato_tables().await? {
            let before = self.count_in(&table.name, kb_id).await?;
            let statement = self.statement(&table, kb_id);
            if before > 0 {
                // The table name is one of KATO_TABLES; the kb_id is bound (escaped by the client).
                let sql = if table.partition_key.trim() == "kb_id" {
                    format!("ALTER TABLE {} DROP PARTITION ?", table.name)
                } else {
                    format!("DELETE FROM {} WHERE kb_id = ?", table.name)
                };
                let run = self.client()?.query(&sql).bind(kb_id).execute();
                self.run_drop(run).await?;
                tracing::info!(kb_id, table = %table.name, rows = before, "knowledge-base rows removed");
            }
            let after = self.count_in(&table.name, kb_id).await?;
            tables.push(TableRows {
                table: table.name,
                rows: before.saturating_sub(after),
                statement,
            });
        }
        Ok(KbRows {
            database: self.database().to_owned(),
            rows: tables.iter().map(|t| t.rows).sum(),
            tables,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn statements_show_the_literal_clickhouse_reads() {
        assert_eq!(super::literal("a'b\\c"), "'a\\'b\\\\c'");
    }
}
