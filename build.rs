fn main() {
    // Embedded migrations must rebuild the binary when they change.
    println!("cargo:rerun-if-changed=migrations");
}
