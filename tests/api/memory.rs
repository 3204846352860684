//! What the real `sluice serve` process keeps resident.

use crate::node::Node;

/// The value of `field` (e.g. `THP_enabled:`) in `/proc/PID/<file>`.
fn proc_field(pid: u32, file: &str, field: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("/proc/{pid}/{file} has no {field}"))
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_server_keeps_its_heap_in_small_pages_after_compiling_an_upload() {
    let node = Node::spawn(&[]).await;
    // Compiling is what touches most of the heap.
    node.upload("hello").await;
    let pid = node.pid();
    assert_eq!(
        proc_field(pid, "status", "THP_enabled:"),
        "0",
        "transparent huge pages are still allowed for the server"
    );
    // The allocator's first pages, touched before `main` turned huge pages
    // off, stay huge (two of them here); compiling adds none (it left about
    // 100 MiB in huge pages before).
    let huge_kib: u64 = proc_field(pid, "smaps_rollup", "AnonHugePages:")
        .trim_end_matches(" kB")
        .parse()
        .unwrap();
    assert!(
        huge_kib <= 4096,
        "{huge_kib} KiB of the server's memory are resident in 2 MiB pages"
    );
}
