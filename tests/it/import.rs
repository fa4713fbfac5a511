//! `stagelab import`: back-filling history through the API's validation.

use crate::support::cli::{run, stderr, stdout};
use crate::support::{shipped_experiments, TestDb};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use stagelab::db::schema::{customers, events};
use std::io::Write;

async fn count(db: &TestDb) -> i64 {
    let mut conn = db.conn().await;
    events::table.count().get_result(&mut conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100k_line_file_is_imported_once() {
    let db = TestDb::new().await;
    stagelab::apply::run(&db.pool(), &shipped_experiments(), false, "t").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..100_000 {
        let customer = i % 25_000;
        let line = match i / 25_000 {
            0 => format!(
                r#"{{"id":"h{i}","customer_id":"c{customer}","type":"stage","stage":"reach","occurred_at":"2026-10-01T10:00:00Z"}}"#
            ),
            1 | 2 => format!(
                r#"{{"id":"h{i}","customer_id":"c{customer}","type":"purchase","value":{}.5,"occurred_at":"2026-10-0{}T10:00:00Z"}}"#,
                i % 90,
                i / 25_000 + 1
            ),
            _ => format!(
                r#"{{"id":"h{i}","customer_id":"c{customer}","type":"referral","occurred_at":"2026-10-05T10:00:00Z"}}"#
            ),
        };
        writeln!(file, "{line}").unwrap();
    }
    drop(file);
    let out = run(db.url(), &["import", path.to_str().unwrap(), "--source", "shop"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Imported 100000 event(s), 0 duplicate(s)"), "{}", stdout(&out));
    assert_eq!(count(&db).await, 100_000);
    let mut conn = db.conn().await;
    let advocates: i64 =
        customers::table.filter(customers::stage.eq("advocacy")).count().get_result(&mut conn).await.unwrap();
    assert_eq!(advocates, 25_000, "every customer reached advocacy by referral");

    let again = run(db.url(), &["import", path.to_str().unwrap(), "--source", "shop"], "");
    assert!(stdout(&again).contains("Imported 0 event(s), 100000 duplicate(s)"), "{}", stdout(&again));
    assert_eq!(count(&db).await, 100_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_files_are_imported_and_bad_lines_named() {
    let db = TestDb::new().await;
    stagelab::apply::run(&db.pool(), &shipped_experiments(), false, "t").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "id,customer_id,type,stage,value,currency,occurred_at\n\
         a1,c1,stage,reach,,,2026-10-01T10:00:00Z\n\
         a2,c1,purchase,,19.99,JPY,2026-10-02T10:00:00Z\n",
    )
    .unwrap();
    let out = run(db.url(), &["import", good.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(&db).await, 2);

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,customer_id,type,stage,value,occurred_at\n\
         b1,c1,stage,reach,,2026-10-01T10:00:00Z\n\
         b2,c1,purchase,,-5,2026-10-02T10:00:00Z\n\
         b3,c1,stage,loyal,,yesterday\n",
    )
    .unwrap();
    let out = run(db.url(), &["import", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:3: value:", bad.display())), "{err}");
    assert!(err.contains(&format!("{}:4: occurred_at:", bad.display())), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(count(&db).await, 2, "nothing of the bad file is stored");

    let other = dir.path().join("events.txt");
    std::fs::write(&other, "").unwrap();
    assert_eq!(run(db.url(), &["import", other.to_str().unwrap()], "").status.code(), Some(2));
}
