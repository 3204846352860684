//! Rebuilds the crate when the console's or the portal's built files
//! change: they are embedded with `rust-embed`, whose derive sees the
//! files of the last build only, and Vite names each bundle by its content
//! hash.

fn main() {
    println!("cargo:rerun-if-changed=../console/dist");
    println!("cargo:rerun-if-changed=../portal/dist");
}
