//! Reading request bodies with a size limit, for the gateway and uploads.

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::{ApiError, ApiResult};

/// Reads `body` completely, refusing more than `limit` bytes.
///
/// # Errors
/// [`ApiError::PayloadTooLarge`] (413) when `Content-Length` or the bytes
/// read exceed `limit`; [`ApiError::BadRequest`] when the client breaks off.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::PayloadTooLarge { limit })
        }
        Err(e) => Err(ApiError::BadRequest(format!(
            "could not read the request body: {e}"
        ))),
    }
}
