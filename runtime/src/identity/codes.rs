//! The pieces of the authorization-code grant that need no database:
//! PKCE (RFC 7636, `S256` only as RFC 9700 §2.1.1 recommends), the codes
//! themselves, and the redirect back to the client (RFC 6749 §4.1.2 and
//! §4.1.2.1, with RFC 9207's `iss`).

use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Seconds a code may wait for its exchange (RFC 6749 §4.1.2 suggests at
/// most ten minutes; a client exchanges it at once).
pub const CODE_TTL_SECS: i64 = 60;

/// Why a PKCE parameter is refused; each is `invalid_request` (RFC 7636
/// §4.4.1) on the authorization request or `invalid_grant` on the token
/// request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// No `code_challenge`: every client must use PKCE here.
    #[error("code_challenge is missing: PKCE (RFC 7636) with S256 is required")]
    MissingChallenge,
    /// A method other than `S256` (`plain` included).
    #[error("code_challenge_method must be S256 (plain is not accepted)")]
    Method,
    /// Not the 43 base64url characters of a SHA-256.
    #[error("code_challenge must be the base64url SHA-256 of the verifier (43 characters)")]
    Challenge,
    /// A verifier outside RFC 7636 §4.1's 43–128 unreserved characters.
    #[error("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)")]
    Verifier,
    /// The verifier does not hash to the challenge.
    #[error("code_verifier does not match the code_challenge")]
    Mismatch,
}

/// Checks an authorization request's PKCE parameters (RFC 7636 §4.3):
/// a challenge of 43 base64url characters and the method `S256`. An absent
/// method means `plain` (§4.3), so it is refused like `plain` itself.
///
/// # Errors
/// [`PkceError`] saying which parameter is wrong.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<(), PkceError> {
    let challenge = challenge
        .filter(|c| !c.is_empty())
        .ok_or(PkceError::MissingChallenge)?;
    if method != Some("S256") {
        return Err(PkceError::Method);
    }
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(challenge);
    if challenge.len() != 43 || decoded.map_or(true, |d| d.len() != 32) {
        return Err(PkceError::Challenge);
    }
    Ok(())
}

/// Checks a token request's `code_verifier` against the stored challenge
/// (RFC 7636 §4.6), in constant time.
///
/// # Errors
/// [`PkceError::Verifier`] for a malformed verifier,
/// [`PkceError::Mismatch`] for a wrong one.
pub fn verify(verifier: &str, challenge: &str) -> Result<(), PkceError> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(PkceError::Verifier);
    }
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if computed.as_bytes().ct_eq(challenge.as_bytes()).into() {
        Ok(())
    } else {
        Err(PkceError::Mismatch)
    }
}

/// A new code (`ac_` and 64 hex characters: 256 random bits) and the
/// SHA-256 it is stored under.
pub fn new_code() -> (String, String) {
    let code = format!("ac_{}", super::random_hex(32));
    let hash = super::sha256_hex(&code);
    (code, hash)
}

/// `redirect_uri` with `params` added to its query (RFC 6749 §4.1.2: the
/// URI's own query is kept), and `iss` (RFC 9207 §2) last.
///
/// # Errors
/// When `redirect_uri` is not an absolute URL (registered URIs always are).
pub fn redirect(
    redirect_uri: &str,
    params: &[(&str, &str)],
    issuer: &str,
) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(redirect_uri)?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        query.append_pair("iss", issuer);
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B's example.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_7636_example_verifies_and_nothing_else_does() {
        assert_eq!(check_challenge(Some(CHALLENGE), Some("S256")), Ok(()));
        assert_eq!(verify(VERIFIER, CHALLENGE), Ok(()));
        assert_eq!(
            verify(&VERIFIER.replace('d', "e"), CHALLENGE),
            Err(PkceError::Mismatch)
        );
        assert_eq!(verify("short", CHALLENGE), Err(PkceError::Verifier));
        assert_eq!(
            verify(&format!("{VERIFIER} "), CHALLENGE),
            Err(PkceError::Verifier)
        );
        assert_eq!(
            check_challenge(Some(CHALLENGE), Some("plain")),
            Err(PkceError::Method)
        );
        assert_eq!(
            check_challenge(Some(CHALLENGE), None),
            Err(PkceError::Method)
        );
        assert_eq!(
            check_challenge(None, Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        assert_eq!(
            check_challenge(Some(&CHALLENGE[1..]), Some("S256")),
            Err(PkceError::Challenge)
        );
        assert_eq!(
            check_challenge(Some(&CHALLENGE.replace('-', "+")), Some("S256")),
            Err(PkceError::Challenge),
            "base64url, not base64"
        );
    }

    #[test]
    fn the_redirect_keeps_the_uris_query_and_names_the_issuer_last() {
        let url = redirect(
            "https://app.example/cb?tenant=a",
            &[("code", "ac_1"), ("state", "x y")],
            "https://id.example",
        )
        .unwrap();
        assert_eq!(
            url,
            "https://app.example/cb?tenant=a&code=ac_1&state=x+y&iss=https%3A%2F%2Fid.example"
        );
    }
}
