//! Password hashing with Argon2id, stored as PHC strings (`$argon2id$v=19$m=...`).
//!
//! Hashing and verifying are deliberately slow (tens of milliseconds in release
//! builds), so async code should call the `_async` variants, which run on the
//! runtime's blocking pool instead of stalling an actix worker.

use std::sync::OnceLock;

use argon2::{Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier};

use super::error::PasswordError;

/// Hashes `password` with Argon2id (the crate's default, OWASP-recommended costs)
/// and a fresh random salt; returns the PHC string to store.
///
/// ```
/// let hash = apiarist::auth::hash_password("correct horse").unwrap();
/// assert!(hash.starts_with("$argon2id$"));
/// assert!(apiarist::auth::verify_password("correct horse", &hash));
/// ```
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC `hash`. A hash that does not parse is
/// a mismatch, never a panic. The costs are read from the hash itself, so hashes
/// made with older parameters keep verifying (see [`needs_rehash`]).
///
/// ```
/// assert!(!apiarist::auth::verify_password("pw", "not a phc string"));
/// ```
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends as long as a real [`verify_password`] and returns `false`.
///
/// Call it when the account does not exist, so that the response time does not tell
/// an attacker which usernames are registered.
///
/// ```no_run
/// # fn find_user(_: &str) -> Option<String> { None }
/// let ok = match find_user("alice") {
///     Some(hash) => apiarist::auth::verify_password("pw", &hash),
///     None => apiarist::auth::dummy_verify("pw"),
/// };
/// # let _ = ok;
/// ```
pub fn dummy_verify(password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| {
        hash_password("apiarist dummy password").expect("argon2 with default parameters")
    });
    // The result is irrelevant: only the time spent matters.
    let _ = verify_password(password, hash);
    false
}

/// Whether `hash` should be replaced by a fresh [`hash_password`] on the user's next
/// successful login: it is not Argon2id, or not made with today's default costs.
///
/// ```
/// let hash = apiarist::auth::hash_password("pw").unwrap();
/// assert!(!apiarist::auth::needs_rehash(&hash));
/// assert!(apiarist::auth::needs_rehash("$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$aGFzaA"));
/// ```
pub fn needs_rehash(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return true;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(params) => {
            let default = Params::default();
            (params.m_cost(), params.t_cost(), params.p_cost())
                != (default.m_cost(), default.t_cost(), default.p_cost())
        }
        Err(_) => true,
    }
}

/// [`hash_password`] on the blocking thread pool.
///
/// ```
/// # actix_rt::System::new().block_on(async {
/// let hash = apiarist::auth::hash_password_async("pw".into()).await.unwrap();
/// assert!(apiarist::auth::verify_password_async("pw".into(), hash).await);
/// # });
/// ```
pub async fn hash_password_async(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| PasswordError::TaskFailed)?
}

/// [`verify_password`] on the blocking thread pool; a failed task is a mismatch.
///
/// ```
/// # actix_rt::System::new().block_on(async {
/// assert!(!apiarist::auth::verify_password_async("pw".into(), "garbage".into()).await);
/// # });
/// ```
pub async fn verify_password_async(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// [`dummy_verify`] on the blocking thread pool.
///
/// ```
/// # actix_rt::System::new().block_on(async {
/// assert!(!apiarist::auth::dummy_verify_async("pw".into()).await);
/// # });
/// ```
pub async fn dummy_verify_async(password: String) -> bool {
    tokio::task::spawn_blocking(move || dummy_verify(&password))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_salted_argon2id_and_verifies() {
        let a = hash_password("s3cret").unwrap();
        let b = hash_password("s3cret").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash gets its own salt");
        assert!(verify_password("s3cret", &a));
        assert!(verify_password("s3cret", &b));
        assert!(!verify_password("s3cret ", &a));
        assert!(!verify_password("", &a));
        assert!(!needs_rehash(&a));
    }

    #[test]
    fn malformed_or_foreign_hashes_never_verify() {
        assert!(!verify_password("pw", ""));
        assert!(!verify_password("pw", "$2b$12$abcdefghijklmnopqrstuv"));
        assert!(needs_rehash("$2b$12$abcdefghijklmnopqrstuv"));
        assert!(needs_rehash(
            "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"
        ));
        assert!(!dummy_verify("anything"));
    }

    #[actix_rt::test]
    async fn async_variants_run_off_the_worker() {
        let hash = hash_password_async("pw".to_owned()).await.unwrap();
        assert!(verify_password_async("pw".to_owned(), hash.clone()).await);
        assert!(!verify_password_async("nope".to_owned(), hash).await);
    }
}
