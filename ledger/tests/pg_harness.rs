//! The test support's PostgreSQL: each test gets a database of its own.

mod support;

use sqlx::Row;
use support::pg::{fresh_database, with_database};

#[tokio::test]
async fn two_fresh_databases_are_independent() {
    let (url_a, a) = fresh_database().await;
    let (url_b, b) = fresh_database().await;
    assert_ne!(url_a, url_b);

    sqlx::query("CREATE TABLE t (n int)").execute(&a).await.unwrap();
    sqlx::query("INSERT INTO t VALUES (1), (2)").execute(&a).await.unwrap();

    let in_a: i64 = sqlx::query("SELECT count(*) FROM t").fetch_one(&a).await.unwrap().get(0);
    assert_eq!(in_a, 2);
    // B has no table t at all, and the two pools are on different databases.
    let t_in_b: Option<String> = sqlx::query("SELECT to_regclass('t')::text").fetch_one(&b).await.unwrap().get(0);
    assert_eq!(t_in_b, None);
    let name_a: String = sqlx::query("SELECT current_database()").fetch_one(&a).await.unwrap().get(0);
    let name_b: String = sqlx::query("SELECT current_database()").fetch_one(&b).await.unwrap().get(0);
    assert_ne!(name_a, name_b);
    assert!(url_a.ends_with(&format!("/{name_a}")), "{url_a} vs {name_a}");
}

#[tokio::test]
async fn many_at_once() {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        set.spawn(async {
            let (_, pool) = fresh_database().await;
            let name: String = sqlx::query("SELECT current_database()").fetch_one(&pool).await.unwrap().get(0);
            name
        });
    }
    let mut names = set.join_all().await;
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 8);
}

#[test]
fn database_name_replaces_the_url_path() {
    assert_eq!(with_database("postgres://postgres@127.0.0.1:5/postgres", "x"), "postgres://postgres@127.0.0.1:5/x");
    assert_eq!(with_database("postgres://u:p@h:5/db?sslmode=disable", "x"), "postgres://u:p@h:5/x?sslmode=disable");
    assert_eq!(with_database("postgres://h:5", "x"), "postgres://h:5/x");
}
