//! What every HTTP surface (the admin API, the consumer API, the
//! authorization server) shares below its handlers: extractors whose
//! rejections are problem details.

pub mod extract;
