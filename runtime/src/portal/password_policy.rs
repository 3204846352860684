//! What a consumer's password must be: 10 to 256 characters and not easy
//! to guess, as the zxcvbn estimator (Wheeler, USENIX Security 2016) rates
//! it — dictionary words, keyboard walks, dates and the consumer's own name
//! and address score low. NIST SP 800-63B §5.1.1.2 asks for this check
//! against common and context-specific passwords instead of composition
//! rules.

/// Fewest characters.
pub const MIN_CHARS: usize = 10;
/// Most characters: argon2 and zxcvbn both cost more with length.
pub const MAX_CHARS: usize = 256;
/// The lowest acceptable zxcvbn score (0–4; 3 is "safely unguessable:
/// moderate protection from offline slow-hash scenario").
const MIN_SCORE: u8 = 3;

/// Checks `password` for a consumer with `name` and `email`.
///
/// # Errors
/// A sentence saying what is wrong and how to do better.
pub fn check(password: &str, name: &str, email: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!(
            "the password must have at least {MIN_CHARS} characters"
        ));
    }
    if chars > MAX_CHARS {
        return Err(format!(
            "the password may have at most {MAX_CHARS} characters"
        ));
    }
    let local = email.split('@').next().unwrap_or_default();
    let entropy = zxcvbn::zxcvbn(password, &[name, email, local]);
    if u8::from(entropy.score()) >= MIN_SCORE {
        return Ok(());
    }
    let hint = entropy
        .feedback()
        .and_then(|f| f.warning().map(|w| w.to_string()))
        .filter(|w| !w.is_empty());
    Err(match hint {
        Some(warning) => format!(
            "the password is too easy to guess ({warning}); a few unrelated words make a strong one"
        ),
        None => "the password is too easy to guess; a few unrelated words make a strong one".into(),
    })
}
