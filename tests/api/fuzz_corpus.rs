//! The fuzz targets' inputs replayed without libFuzzer: every committed
//! file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` is fed
//! to `sluice::fuzzing::<target>`, then inputs mutated from them by a
//! seeded RNG for a bounded time. A target panics on a finding (see
//! `runtime/src/fuzzing.rs`), which fails the test; the regressions are
//! the inputs that once did, kept with their fix. `fuzz/README.md` says
//! how the corpus was grown and how to run the fuzzers themselves.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How long each target runs on mutated inputs after the corpus.
const RANDOM_FOR: Duration = Duration::from_secs(2);

/// Files of `fuzz/<dir>/<target>/`, sorted (none when it does not exist).
fn inputs(dir: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// `input` changed a little: bytes flipped, inserted, removed, repeated,
/// or spliced with `other`.
fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        match rng.random_range(0..5) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=len);
                out.insert(i, rng.random());
            }
            2 if len > 0 => {
                let i = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - i).min(16));
                out.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - i).min(32));
                let chunk = out[i..i + n].to_vec();
                out.splice(i..i, chunk);
            }
            _ if !other.is_empty() => {
                let i = rng.random_range(0..=len);
                let j = rng.random_range(0..other.len());
                let n = rng.random_range(1..=(other.len() - j).min(64));
                out.splice(i..i, other[j..j + n].iter().copied());
            }
            _ => {}
        }
    }
    out
}

/// Feeds `target`'s corpus and regressions to `run`, then mutated inputs
/// for [`RANDOM_FOR`] (at most `max_random` of them).
fn replay(target: &str, max_random: usize, run: fn(&[u8])) {
    let corpus = inputs("corpus", target);
    let regressions = inputs("regressions", target);
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} has no seeds: is the checkout whole?"
    );
    for (path, bytes) in corpus.iter().chain(&regressions) {
        eprintln!("{target}: {}", path.display());
        run(bytes);
    }
    let mut rng = StdRng::seed_from_u64(42);
    let started = Instant::now();
    for _ in 0..max_random {
        if started.elapsed() > RANDOM_FOR {
            break;
        }
        let input = &corpus[rng.random_range(0..corpus.len())].1;
        let other = &corpus[rng.random_range(0..corpus.len())].1;
        let mutated = mutate(&mut rng, input, other);
        let shown = mutated.clone();
        if std::panic::catch_unwind(|| run(&mutated)).is_err() {
            panic!("{target} failed on a mutated input (seed 42): {shown:?}");
        }
    }
}

#[test]
fn the_oauth_form_corpus_replays_without_a_finding() {
    replay("oauth_form", 100_000, sluice::fuzzing::oauth_form);
}

#[test]
fn the_routes_corpus_replays_without_a_finding() {
    replay("routes", 100_000, sluice::fuzzing::routes);
}

#[test]
fn the_deploy_file_corpus_replays_without_a_finding() {
    replay("deploy_file", 100_000, sluice::fuzzing::deploy_file);
}

#[test]
fn the_json_schema_corpus_replays_without_a_finding() {
    replay("json_schema", 100_000, sluice::fuzzing::json_schema);
}

#[test]
fn the_component_corpus_replays_without_a_finding() {
    // Each input that validates is compiled by Cranelift: a few mutations.
    replay("component", 20, sluice::fuzzing::component);
}

#[test]
fn the_guest_response_corpus_replays_without_a_finding() {
    replay("guest_response", 100_000, sluice::fuzzing::guest_response);
}

#[test]
fn the_host_call_corpus_replays_without_a_finding() {
    replay("host_call", 100_000, sluice::fuzzing::host_call);
}
