//! The store tests run against both stores: [`both!`] instantiates each test twice,
//! `NAME::sqlite` (a file in a temporary folder) and `NAME::postgres` (a fresh database on
//! the PostgreSQL this test process starts, tests/src/postgres.rs). Run one backend with
//! `cargo nextest run -p pantau-collector -E 'test(/::postgres$/)'`.

#[path = "../../../tests/src/postgres.rs"]
pub mod pg_harness;

use super::Store;
use std::sync::Arc;

pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store for one test; the temporary folder (SQLite) lives as long as it.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub backend: &'static str,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

enum Raw {
    Sqlite(super::sqlite::SqliteStore),
    Postgres(Box<super::postgres::PgStore>),
}

impl TestStore {
    /// One integer from SQL both databases understand (a count), to check what the API
    /// does not show.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let sql = sql.to_owned();
        match &self.raw {
            Raw::Sqlite(s) => s
                .read(move |c| Ok(c.query_row(&sql, [], |r| r.get(0))?))
                .await
                .unwrap(),
            Raw::Postgres(s) => s
                .conn()
                .await
                .unwrap()
                .query_one(&sql, &[])
                .await
                .unwrap()
                .get(0),
        }
    }
}

impl std::ops::Deref for TestStore {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        &*self.store
    }
}

pub async fn open(b: Backend) -> TestStore {
    match b {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let s = super::sqlite::SqliteStore::open(&dir.path().join("pantau.db")).unwrap();
            TestStore {
                store: Arc::new(s.clone()),
                raw: Raw::Sqlite(s),
                backend: "sqlite",
                _dir: Some(dir),
            }
        }
        Backend::Postgres => {
            let url = tokio::task::spawn_blocking(pg_harness::PgServer::fresh_database)
                .await
                .unwrap();
            let s = super::postgres::PgStore::open(&url).await.unwrap();
            TestStore {
                store: Arc::new(s.clone()),
                raw: Raw::Postgres(Box::new(s)),
                backend: "postgres",
                _dir: None,
            }
        }
    }
}

impl TestStore {
    /// Rows of text (or NULL) columns, from SQL both databases understand.
    pub async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let sql = sql.to_owned();
        match &self.raw {
            Raw::Sqlite(s) => s
                .read(move |c| {
                    let mut st = c.prepare(&sql)?;
                    let n = st.column_count();
                    let rows = st
                        .query_map([], |r| (0..n).map(|i| r.get(i)).collect())?
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(rows)
                })
                .await
                .unwrap(),
            Raw::Postgres(s) => s
                .conn()
                .await
                .unwrap()
                .query(&sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
                .collect(),
        }
    }
}

/// `both!(a, b)`: for each `async fn a(s: TestStore)`, the tests `a::sqlite` and
/// `a::postgres`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::store::testing::open(
                        $crate::store::testing::Backend::Sqlite,
                    ).await).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::store::testing::open(
                        $crate::store::testing::Backend::Postgres,
                    ).await).await
                }
            }
        )*
    };
}
