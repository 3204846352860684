//! Compression both ways (tower-http): answers are compressed with gzip,
//! br or zstd as the client's `Accept-Encoding` prefers (RFC 9110 section
//! 12.5.3) when larger than a threshold, not for types that are compressed
//! already and not when the action set `Content-Encoding` itself; request
//! bodies sent with `Content-Encoding: gzip`, `deflate`, `br` or `zstd` are
//! decompressed as they are read, so the body limits count decompressed
//! bytes and a small bomb that inflates past them gets 413.

use axum::http::header::{ACCEPT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel, DefaultPredicate};

use crate::media;

/// Essences of types whose bytes are compressed already; compressing them
/// again costs time and gains nothing. Besides these, every `video/*` and
/// `audio/*` type.
const ALREADY_COMPRESSED: [&str; 8] = [
    "application/gzip",
    "application/zip",
    "application/zstd",
    "application/x-brotli",
    "application/wasm",
    "font/woff",
    "font/woff2",
    "application/octet-stream",
];

/// Whether an answer of `content_type` is compressed already (see
/// [`ALREADY_COMPRESSED`]); an absent or malformed type is not.
fn compressed_already(content_type: &str) -> bool {
    let Ok(mime) = media::parse(content_type) else {
        return false;
    };
    mime.type_() == mime::VIDEO
        || mime.type_() == mime::AUDIO
        || ALREADY_COMPRESSED.contains(&mime.essence_str())
}

/// Which answers are compressed: those tower-http's default predicate
/// allows (not gRPC, images or event streams), larger than a threshold, of
/// a type that is not compressed already.
#[derive(Clone, Copy, Debug)]
pub struct Compressible {
    above: SizeAbove,
}

impl Compressible {
    /// Answers of more than `min_bytes` (bytes of `Content-Length`, or of
    /// the body when it is known).
    pub fn new(min_bytes: u16) -> Self {
        Self {
            above: SizeAbove::new(min_bytes),
        }
    }
}

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        // The size first: it reads the body's length alone, and most API
        // answers are too small, which spares the header lookups of the rest
        // (every answer is asked, for its `Vary`, see `edge::codecs`).
        if !self.above.should_compress(response) {
            return false;
        }
        let kind = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        DefaultPredicate::new().should_compress(response) && !compressed_already(kind)
    }
}

/// The response compression layer for the answers `predicate` selects.
pub fn layer(predicate: Compressible) -> CompressionLayer<Compressible> {
    // Compressing on the fly: the fastest level keeps most of the saving
    // (a 15 KB JSON answer: 4.9 KB at gzip's default level, 6.1 KB at its
    // fastest) for a fraction of the CPU (BENCHMARKS.md, "At the edge").
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(predicate)
}

/// Turns tower-http's bare 415 for a `Content-Encoding` it cannot decode
/// into a problem that names the encodings it can (called by the request
/// context middleware, which wraps the decompression layer, rather than
/// from a layer of its own that every request would pass).
pub fn explain_unsupported_encoding(response: Response) -> Response {
    if response.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE
        || response.headers().contains_key(CONTENT_TYPE)
    {
        return response;
    }
    let accepted = response
        .headers()
        .get(ACCEPT_ENCODING)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("gzip,deflate,br,zstd"));
    let mut problem = crate::error::ApiError::UnsupportedMediaType(format!(
        "the request body's Content-Encoding is not one this server decodes; send it as {} or uncompressed",
        accepted.to_str().unwrap_or("gzip")
    ))
    .into_response();
    problem.headers_mut().insert(ACCEPT_ENCODING, accepted);
    problem
}

#[cfg(test)]
mod tests {
    use super::compressed_already;

    #[test]
    fn compressed_types_are_matched_by_essence_not_prefix() {
        for kind in [
            "application/wasm",
            "Application/Zip; name=\"a.zip\"",
            "video/mp4",
            "audio/ogg; codecs=opus",
            "font/woff2",
        ] {
            assert!(compressed_already(kind), "{kind}");
        }
        for kind in [
            "application/wasmx",
            "application/zip-index+json",
            "videos/list",
            "application/json",
            "",
            "garbage",
        ] {
            assert!(!compressed_already(kind), "{kind}");
        }
    }
}
