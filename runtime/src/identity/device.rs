//! The pieces of the device authorization grant (RFC 8628) that need no
//! database: device codes, user codes and their normal form.

use rand::Rng;

/// The `client_id` of Sluice's own CLI (`sluice login URL --device`): not
/// an app, so that its session is the user's own, as with a password
/// sign-in (Keycloak's `admin-cli` is the same idea). App client ids start
/// with `app_`, so none can take it.
pub const CLI_CLIENT_ID: &str = "sluice-cli";

/// The `grant_type` a device polls the token endpoint with (§3.4).
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Seconds a client waits between polls at first (§3.2 `interval`; 5 is
/// the RFC's default).
pub const POLL_INTERVAL_SECS: i64 = 5;

/// Seconds a too-early poll adds to the interval (§3.5 `slow_down`).
pub const SLOW_DOWN_SECS: i64 = 5;

/// The letters of user codes: upper-case consonants without vowels (no
/// words) nor look-alikes, as §6.1 suggests; 20 letters, 8 of them: 34.5
/// bits, guessed only at the rate the endpoints allow.
const USER_CODE_LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code.
const USER_CODE_LEN: usize = 8;

/// A new device code (`dc_` and 64 hex characters) and the SHA-256 it is
/// stored under.
pub fn new_device_code() -> (String, String) {
    let code = format!("dc_{}", super::random_hex(32));
    let hash = super::sha256_hex(&code);
    (code, hash)
}

/// A new user code as shown (`BCDF-GHJK`) and the SHA-256 of its normal
/// form.
pub fn new_user_code() -> (String, String) {
    let mut rng = rand::rng();
    let letters: String = (0..USER_CODE_LEN)
        .map(|_| char::from(USER_CODE_LETTERS[rng.random_range(0..USER_CODE_LETTERS.len())]))
        .collect();
    let shown = format!("{}-{}", &letters[..4], &letters[4..]);
    let hash = super::sha256_hex(&letters);
    (shown, hash)
}

/// The SHA-256 a user code as typed is stored under: case, dashes and
/// spaces do not matter (§6.1); `None` when it cannot be a user code.
pub fn user_code_hash(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() == USER_CODE_LEN && letters.bytes().all(|b| USER_CODE_LETTERS.contains(&b)))
        .then(|| super::sha256_hex(&letters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_code_is_found_however_it_is_typed() {
        let (shown, hash) = new_user_code();
        assert_eq!(shown.len(), 9);
        assert_eq!(user_code_hash(&shown).as_deref(), Some(hash.as_str()));
        assert_eq!(
            user_code_hash(&shown.to_lowercase().replace('-', " ")).as_deref(),
            Some(hash.as_str())
        );
        assert_eq!(user_code_hash("AEIO-UBCD"), None, "no vowels");
        assert_eq!(user_code_hash("BCDF-GHJ"), None, "too short");
    }
}
