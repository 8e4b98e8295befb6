// The migrations are embedded by `sqlx::migrate!` (db.rs): rebuild when one is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
