//! `spin`: a self-contained busy guest, for testing the host's limits on the
//! inline path. It imports nothing from the host, so Sluice runs it without
//! a fiber (`runtime/src/engine/inline.rs`); `misbehave` imports host
//! functions and runs on the async path. The query parameter `rounds` says
//! how long it computes: a number of rounds of a hash (about 2 ns each),
//! answered as `{"rounds": N, "hash": H}`, or `forever`, which only fuel or
//! the deadline stops.

use sluice_sdk::{Error, Request, Response};

fn spin(req: Request) -> Result<Response, Error> {
    let rounds = match req.query("rounds").unwrap_or("0") {
        "forever" => u64::MAX,
        n => n
            .parse()
            .map_err(|_| Error::invalid_input("rounds must be a whole number or `forever`"))?,
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut round = 0;
    while round < rounds {
        // FNV-1a over the round number; black_box keeps the loop honest.
        hash = std::hint::black_box((hash ^ round).wrapping_mul(0x0100_0000_01b3));
        round += 1;
    }
    Ok(Response::json(
        &serde_json::json!({ "rounds": rounds, "hash": hash.to_string() }),
    ))
}

sluice_sdk::export_action!(spin);
