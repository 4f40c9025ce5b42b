//! One signing key: its algorithm, its `kid`, and the jsonwebtoken key halves.

use std::{fmt, str::FromStr};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sha2::{Digest, Sha256};

use super::error::KeyError;

/// Minimum HS256 secret length: the 256 bits of the hash.
pub const MIN_SECRET_LEN: usize = 32;

/// The JWT signature algorithms this module signs and verifies with.
///
/// ```
/// use apiarist::auth::JwtAlgorithm;
///
/// assert_eq!("rs256".parse::<JwtAlgorithm>(), Ok(JwtAlgorithm::Rs256));
/// assert_eq!(JwtAlgorithm::EdDsa.to_string(), "EdDSA");
/// assert!("none".parse::<JwtAlgorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret (the default).
    #[default]
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// Ed25519.
    EdDsa,
}

impl JwtAlgorithm {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::Hs256 => "HS256",
            JwtAlgorithm::Rs256 => "RS256",
            JwtAlgorithm::EdDsa => "EdDSA",
        }
    }

    pub(crate) fn jwt(self) -> Algorithm {
        match self {
            JwtAlgorithm::Hs256 => Algorithm::HS256,
            JwtAlgorithm::Rs256 => Algorithm::RS256,
            JwtAlgorithm::EdDsa => Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwtAlgorithm {
    type Err = String;

    /// Case-insensitive `HS256`, `RS256` or `EdDSA`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            JwtAlgorithm::Hs256,
            JwtAlgorithm::Rs256,
            JwtAlgorithm::EdDsa,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("unsupported algorithm `{s}` (expected HS256, RS256 or EdDSA)"))
    }
}

/// A key that signs (if it has its private half) and verifies tokens, named by a
/// `kid` that goes into every token header it signs.
///
/// The default `kid` is a fingerprint of the verifying key (16 hex digits of
/// SHA-256), so every instance configured with the same key agrees on it and a new
/// key gets a new one; [`with_kid`](Self::with_kid) overrides it. `Debug` shows only
/// the algorithm and `kid`.
///
/// ```
/// use apiarist::auth::{JwtAlgorithm, SigningKey};
///
/// let key = SigningKey::hs256(&[7u8; 32]).unwrap();
/// assert_eq!(key.algorithm(), JwtAlgorithm::Hs256);
/// assert_eq!(key.kid().len(), 16);
/// assert_eq!(key.with_kid("2026-01").kid(), "2026-01");
/// ```
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    algorithm: JwtAlgorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

impl SigningKey {
    /// An HS256 key from a shared secret of at least 32 bytes.
    ///
    /// ```
    /// assert!(apiarist::auth::SigningKey::hs256(b"0123456789abcdef0123456789abcdef").is_ok());
    /// ```
    pub fn hs256(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(KeyError::SecretTooShort {
                len: secret.len(),
                min: MIN_SECRET_LEN,
            });
        }
        Ok(Self::assemble(
            JwtAlgorithm::Hs256,
            Some(EncodingKey::from_secret(secret)),
            DecodingKey::from_secret(secret),
            secret,
        ))
    }

    /// An RS256 key pair from PEM text (PKCS#1 or PKCS#8 private key, SPKI or
    /// PKCS#1 public key). The pair is checked to match.
    ///
    /// ```
    /// let private = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/auth/testdata/rsa_private.pem"));
    /// let public = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/auth/testdata/rsa_public.pem"));
    /// let key = apiarist::auth::SigningKey::rs256_pem(private, public).unwrap();
    /// assert!(key.can_sign());
    /// ```
    pub fn rs256_pem(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, KeyError> {
        Self::pair(JwtAlgorithm::Rs256, private_pem, public_pem)
    }

    /// An EdDSA (Ed25519) key pair from PKCS#8/SPKI PEM text; checked to match.
    ///
    /// ```
    /// let private = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/auth/testdata/ed25519_private.pem"));
    /// let public = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/auth/testdata/ed25519_public.pem"));
    /// assert!(apiarist::auth::SigningKey::ed25519_pem(private, public).is_ok());
    /// ```
    pub fn ed25519_pem(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, KeyError> {
        Self::pair(JwtAlgorithm::EdDsa, private_pem, public_pem)
    }

    /// A verify-only RS256 or EdDSA key from its public PEM, for services that accept
    /// tokens another service issues (give it the issuer's `kid` with
    /// [`with_kid`](Self::with_kid) if the issuer does not use the default).
    ///
    /// ```
    /// use apiarist::auth::{JwtAlgorithm, SigningKey};
    ///
    /// let public = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/auth/testdata/ed25519_public.pem"));
    /// let key = SigningKey::public_pem(JwtAlgorithm::EdDsa, public).unwrap();
    /// assert!(!key.can_sign());
    /// ```
    pub fn public_pem(algorithm: JwtAlgorithm, public_pem: &[u8]) -> Result<Self, KeyError> {
        let decoding = match algorithm {
            JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(public_pem),
            JwtAlgorithm::EdDsa => DecodingKey::from_ed_pem(public_pem),
            JwtAlgorithm::Hs256 => {
                return Err(invalid(algorithm, "HS256 has no public key; use hs256()"));
            }
        }
        .map_err(|e| invalid(algorithm, format!("public key: {e}")))?;
        let material = decoding
            .try_get_as_bytes()
            .map_err(|e| invalid(algorithm, format!("public key: {e}")))?
            .to_vec();
        Ok(Self::assemble(algorithm, None, decoding, &material))
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key id written into token headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs and verifies with.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    /// Whether this key has its private half.
    pub fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }

    pub(crate) fn encoding(&self) -> Option<&EncodingKey> {
        self.encoding.as_ref()
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }

    fn pair(
        algorithm: JwtAlgorithm,
        private_pem: &[u8],
        public_pem: &[u8],
    ) -> Result<Self, KeyError> {
        let encoding = match algorithm {
            JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(private_pem),
            _ => EncodingKey::from_ed_pem(private_pem),
        }
        .map_err(|e| invalid(algorithm, format!("private key: {e}")))?;
        let public = Self::public_pem(algorithm, public_pem)?;
        let key = Self::assemble(algorithm, Some(encoding), public.decoding, b"");
        let key = key.with_kid(public.kid);
        key.check_pair()?;
        Ok(key)
    }

    fn assemble(
        algorithm: JwtAlgorithm,
        encoding: Option<EncodingKey>,
        decoding: DecodingKey,
        material: &[u8],
    ) -> Self {
        let digest = Sha256::new()
            .chain_update(algorithm.as_str())
            .chain_update([0])
            .chain_update(material)
            .finalize();
        let kid = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        SigningKey {
            kid,
            algorithm,
            encoding,
            decoding,
        }
    }

    /// Signs and verifies a probe token so a mismatched pair fails at startup, not
    /// on the first login.
    fn check_pair(&self) -> Result<(), KeyError> {
        let Some(encoding) = &self.encoding else {
            return Ok(());
        };
        let probe = serde_json::json!({"sub": "key-check", "exp": u64::MAX / 2});
        let token = jsonwebtoken::encode(&Header::new(self.algorithm.jwt()), &probe, encoding)
            .map_err(|e| invalid(self.algorithm, format!("private key cannot sign: {e}")))?;
        let mut validation = Validation::new(self.algorithm.jwt());
        validation.validate_exp = false;
        jsonwebtoken::decode::<serde_json::Value>(&token, &self.decoding, &validation)
            .map(drop)
            .map_err(|_| invalid(self.algorithm, "the private and public keys do not match"))
    }
}

fn invalid(algorithm: JwtAlgorithm, reason: impl Into<String>) -> KeyError {
    KeyError::InvalidKey {
        algorithm: algorithm.as_str(),
        reason: reason.into(),
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PRIVATE: &[u8] = include_bytes!("testdata/rsa_private.pem");
    const RSA_PUBLIC: &[u8] = include_bytes!("testdata/rsa_public.pem");
    const ED_PRIVATE: &[u8] = include_bytes!("testdata/ed25519_private.pem");
    const ED_PUBLIC: &[u8] = include_bytes!("testdata/ed25519_public.pem");
    const ED_OTHER_PUBLIC: &[u8] = include_bytes!("testdata/ed25519_other_public.pem");

    #[test]
    fn kid_is_a_stable_fingerprint_of_the_verifying_key() {
        let a = SigningKey::hs256(&[1; 32]).unwrap();
        assert_eq!(a.kid(), SigningKey::hs256(&[1; 32]).unwrap().kid());
        assert_ne!(a.kid(), SigningKey::hs256(&[2; 32]).unwrap().kid());
        let pair = SigningKey::ed25519_pem(ED_PRIVATE, ED_PUBLIC).unwrap();
        let public = SigningKey::public_pem(JwtAlgorithm::EdDsa, ED_PUBLIC).unwrap();
        assert_eq!(
            pair.kid(),
            public.kid(),
            "issuer and verifier agree on the kid"
        );
    }

    #[test]
    fn short_secrets_and_bad_pems_are_refused() {
        assert_eq!(
            SigningKey::hs256(&[0; 31]).unwrap_err(),
            KeyError::SecretTooShort { len: 31, min: 32 }
        );
        let err = SigningKey::rs256_pem(b"not a pem", RSA_PUBLIC).unwrap_err();
        assert!(err.to_string().contains("RS256"), "{err}");
        assert!(SigningKey::public_pem(JwtAlgorithm::Hs256, RSA_PUBLIC).is_err());
        // An Ed25519 key is not an RSA key.
        assert!(SigningKey::rs256_pem(ED_PRIVATE, ED_PUBLIC).is_err());
    }

    #[test]
    fn mismatched_pairs_are_refused() {
        let err = SigningKey::ed25519_pem(ED_PRIVATE, ED_OTHER_PUBLIC).unwrap_err();
        assert!(err.to_string().contains("do not match"), "{err}");
        assert!(
            SigningKey::rs256_pem(RSA_PRIVATE, RSA_PUBLIC)
                .unwrap()
                .can_sign()
        );
    }

    #[test]
    fn algorithm_names_parse_case_insensitively() {
        assert_eq!("HS256".parse(), Ok(JwtAlgorithm::Hs256));
        assert_eq!("eddsa".parse(), Ok(JwtAlgorithm::EdDsa));
        let err = "none".parse::<JwtAlgorithm>().unwrap_err();
        assert!(err.contains("none"), "{err}");
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = SigningKey::hs256(b"super-secret-super-secret-super-secret").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(shown.contains(key.kid()));
    }
}
