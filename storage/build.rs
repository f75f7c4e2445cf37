// The migrations are embedded at compile time (`sqlx::migrate!`); a new or changed file
// must rebuild the crate, or the binary would ship without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
