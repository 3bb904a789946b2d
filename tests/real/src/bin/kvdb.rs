//! Transactions on an embedded database (redb) in a file: `kvdb PATH N`
//! writes N records in batches of 100 per transaction, aborts one
//! transaction, reopens the file and checks every record, deletes the odd
//! ones in one transaction and checks again; prints a checksum.

use std::time::Instant;

use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};

const TABLE: TableDefinition<u64, &str> = TableDefinition::new("records");

fn value(k: u64) -> String {
    format!("record {k} of the kestrel database test, {}", k * 7919 % 10007)
}

fn checksum(db: &Database) -> (u64, u64) {
    let read = db.begin_read().expect("read transaction");
    let table = read.open_table(TABLE).expect("table");
    let mut sum = 0u64;
    for entry in table.iter().expect("iter") {
        let (k, v) = entry.expect("entry");
        assert_eq!(v.value(), value(k.value()), "record {} reads back wrong", k.value());
        sum = sum.wrapping_add(k.value() * v.value().len() as u64);
    }
    (table.len().expect("len"), sum)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("path");
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let _ = std::fs::remove_file(&path);
    let start = Instant::now();
    {
        let db = Database::create(&path).expect("create");
        for batch in 0..n.div_ceil(100) {
            let tx = db.begin_write().expect("write transaction");
            {
                let mut table = tx.open_table(TABLE).expect("table");
                for k in batch * 100..((batch + 1) * 100).min(n) {
                    table.insert(k, value(k).as_str()).expect("insert");
                }
            }
            tx.commit().expect("commit");
        }
        let tx = db.begin_write().expect("write transaction");
        {
            let mut table = tx.open_table(TABLE).expect("table");
            table.insert(n + 1, "never committed").expect("insert");
        }
        tx.abort().expect("abort");
    }
    let db = Database::open(&path).expect("reopen");
    let (count, sum) = checksum(&db);
    assert_eq!(count, n, "records after reopening");
    let tx = db.begin_write().expect("write transaction");
    {
        let mut table = tx.open_table(TABLE).expect("table");
        for k in (1..n).step_by(2) {
            table.remove(k).expect("remove");
        }
    }
    tx.commit().expect("commit");
    let (left, sum_after) = checksum(&db);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("kvdb: {count} records (checksum {sum}), {left} after deleting the odd ones (checksum {sum_after})");
    eprintln!("workload kvdb {ms:.1} ms");
}
