//! Tests of [`KeyRing`](super::KeyRing): issuing, verifying, rejecting, rotating.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header};

use super::*;

const RSA_PRIVATE: &[u8] = include_bytes!("testdata/rsa_private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("testdata/rsa_public.pem");
const ED_PRIVATE: &[u8] = include_bytes!("testdata/ed25519_private.pem");
const ED_PUBLIC: &[u8] = include_bytes!("testdata/ed25519_public.pem");
const ED_OTHER_PRIVATE: &[u8] = include_bytes!("testdata/ed25519_other_private.pem");
const ED_OTHER_PUBLIC: &[u8] = include_bytes!("testdata/ed25519_other_public.pem");

const NOW: u64 = 1_800_000_000;

fn hs(byte: u8) -> SigningKey {
    SigningKey::hs256(&[byte; 32]).unwrap()
}

fn config(ttl_secs: u64, leeway_secs: u64) -> TokenConfig {
    TokenConfig {
        default_ttl: Duration::from_secs(ttl_secs),
        max_ttl: Duration::from_secs(ttl_secs),
        leeway: Duration::from_secs(leeway_secs),
    }
}

fn claims_at(iat: u64, ttl: u64) -> Claims {
    Claims::new(
        "alice",
        ["items:read", "items:write"],
        iat,
        Duration::from_secs(ttl),
    )
}

fn header_kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// A token with an arbitrary header JSON, the given claims and signature bytes.
fn forge(header: &serde_json::Value, claims: &Claims, signature: &[u8]) -> String {
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{h}.{c}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[test]
fn issue_then_verify_roundtrips_for_every_algorithm() {
    let keys = [
        hs(1),
        SigningKey::rs256_pem(RSA_PRIVATE, RSA_PUBLIC).unwrap(),
        SigningKey::ed25519_pem(ED_PRIVATE, ED_PUBLIC).unwrap(),
    ];
    for key in keys {
        let alg = key.algorithm();
        let ring = KeyRing::new(key, config(60, 0));
        let claims = claims_at(NOW, 60)
            .with_roles(["admin"])
            .with_extra("tenant", "acme");
        let token = ring.sign(&claims).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, alg.jwt());
        assert_eq!(header.kid.as_deref(), Some(ring.current_kid()));
        assert_eq!(ring.verify_at(&token, NOW + 30), Ok(claims), "{alg}");
    }
}

#[test]
fn issue_uses_default_ttl_and_caps_at_max_ttl() {
    let ring = KeyRing::new(hs(1), config(600, 0));
    let claims = ring
        .verify(&ring.issue("bob", ["a"], None).unwrap())
        .unwrap();
    assert_eq!(claims.exp - claims.iat, 600);
    let err = ring.issue("bob", ["a"], Some(Duration::from_secs(601)));
    assert_eq!(
        err,
        Err(IssueError::TtlTooLong {
            requested: 601,
            max: 600
        })
    );
}

#[test]
fn expiry_honours_the_leeway() {
    let ring = KeyRing::new(hs(1), config(60, 10));
    let token = ring.sign(&claims_at(NOW, 60)).unwrap();
    assert!(ring.verify_at(&token, NOW + 60).is_ok());
    assert!(
        ring.verify_at(&token, NOW + 70).is_ok(),
        "within the leeway"
    );
    assert_eq!(ring.verify_at(&token, NOW + 71), Err(TokenError::Expired));
    assert_eq!(TokenError::Expired.to_string(), "Token has expired");
}

#[test]
fn tampered_claims_or_signature_are_rejected() {
    let ring = KeyRing::new(hs(1), config(60, 0));
    let token = ring.sign(&claims_at(NOW, 60)).unwrap();
    let parts: Vec<&str> = token.split('.').collect();

    let mut elevated = claims_at(NOW, 60);
    elevated.sub = "root".into();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&elevated).unwrap());
    let swapped = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_eq!(ring.verify_at(&swapped, NOW), Err(TokenError::BadSignature));

    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[0] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
    assert_eq!(ring.verify_at(&flipped, NOW), Err(TokenError::BadSignature));
    assert_eq!(TokenError::BadSignature.to_string(), "Invalid token");
}

#[test]
fn alg_none_and_unknown_algorithms_are_rejected() {
    let ring = KeyRing::new(hs(1), config(60, 0));
    let kid = ring.current_kid().to_owned();
    for alg in ["none", "None", "HS512", "ES256"] {
        let header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": kid});
        let token = forge(&header, &claims_at(NOW, 60), b"");
        assert_eq!(
            ring.verify_at(&token, NOW),
            Err(TokenError::AlgorithmNotAllowed),
            "{alg}"
        );
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_rejected() {
    // The classic algorithm-confusion attack: the RSA public key used as an HMAC secret.
    let ring = KeyRing::new(
        SigningKey::rs256_pem(RSA_PRIVATE, RSA_PUBLIC).unwrap(),
        config(60, 0),
    );
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(ring.current_kid().to_owned());
    let forged = jsonwebtoken::encode(
        &header,
        &claims_at(NOW, 60),
        &EncodingKey::from_secret(RSA_PUBLIC),
    )
    .unwrap();
    assert_eq!(
        ring.verify_at(&forged, NOW),
        Err(TokenError::AlgorithmNotAllowed)
    );
}

#[test]
fn wrong_key_and_unknown_or_missing_kid_are_rejected() {
    let ring = KeyRing::new(
        SigningKey::ed25519_pem(ED_PRIVATE, ED_PUBLIC).unwrap(),
        config(60, 0),
    );
    // Another key pair claiming our kid: the signature does not verify.
    let impostor = KeyRing::new(
        SigningKey::ed25519_pem(ED_OTHER_PRIVATE, ED_OTHER_PUBLIC)
            .unwrap()
            .with_kid(ring.current_kid()),
        config(60, 0),
    );
    let token = impostor.sign(&claims_at(NOW, 60)).unwrap();
    assert_eq!(ring.verify_at(&token, NOW), Err(TokenError::BadSignature));

    let stranger = KeyRing::new(hs(9), config(60, 0));
    let token = stranger.sign(&claims_at(NOW, 60)).unwrap();
    assert_eq!(ring.verify_at(&token, NOW), Err(TokenError::UnknownKey));

    let no_kid = jsonwebtoken::encode(
        &Header::new(jsonwebtoken::Algorithm::HS256),
        &claims_at(NOW, 60),
        &EncodingKey::from_secret(&[9; 32]),
    )
    .unwrap();
    assert_eq!(
        stranger.verify_at(&no_kid, NOW),
        Err(TokenError::UnknownKey)
    );
}

#[test]
fn garbage_is_malformed() {
    let ring = KeyRing::new(hs(1), config(60, 0));
    for token in ["", "abc", "a.b", "a.b.c.d", "!!.??.**", &"a".repeat(9000)] {
        assert_eq!(
            ring.verify_at(token, NOW),
            Err(TokenError::Malformed),
            "{token:.20}"
        );
    }
    // Signed correctly, but not our claims shape (no `sub`).
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(ring.current_kid().to_owned());
    let odd = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"exp": NOW + 60}),
        &EncodingKey::from_secret(&[1; 32]),
    )
    .unwrap();
    assert_eq!(ring.verify_at(&odd, NOW), Err(TokenError::Malformed));
}

#[test]
fn rotation_keeps_old_tokens_until_they_must_have_expired() {
    let mut ring = KeyRing::new(hs(1).with_kid("k1"), config(600, 30));
    let old = ring.sign(&claims_at(NOW, 600)).unwrap();

    ring.rotate_at(hs(2).with_kid("k2"), NOW + 100).unwrap();
    let new = ring.sign(&claims_at(NOW + 100, 600)).unwrap();
    assert_eq!(header_kid(&old), "k1");
    assert_eq!(header_kid(&new), "k2");
    assert_eq!(ring.live_kids_at(NOW + 100), ["k2", "k1"]);
    assert!(ring.verify_at(&old, NOW + 200).is_ok());
    assert!(ring.verify_at(&new, NOW + 200).is_ok());

    // k1 is kept for max_ttl + leeway after the rotation, then dropped.
    let retired_at = NOW + 100 + 630;
    assert!(ring.live_kids_at(retired_at - 1).contains(&"k1"));
    assert_eq!(ring.live_kids_at(retired_at), ["k2"]);
    assert_eq!(
        ring.verify_at(&old, retired_at),
        Err(TokenError::UnknownKey)
    );
    ring.prune_at(retired_at);
    assert_eq!(ring.previous.len(), 0);
}

#[test]
fn rotation_refuses_a_live_kid_and_verify_only_keys_cannot_sign() {
    let mut ring = KeyRing::new(hs(1).with_kid("k1"), config(60, 0));
    ring.rotate_at(hs(2).with_kid("k2"), NOW).unwrap();
    assert_eq!(
        ring.rotate_at(hs(3).with_kid("k1"), NOW),
        Err(KeyError::DuplicateKid("k1".into()))
    );
    assert_eq!(
        ring.current_kid(),
        "k2",
        "a refused rotation changes nothing"
    );

    let public = SigningKey::public_pem(JwtAlgorithm::EdDsa, ED_PUBLIC).unwrap();
    let verifier = KeyRing::new(public, config(60, 0));
    assert!(matches!(
        verifier.sign(&claims_at(NOW, 60)),
        Err(IssueError::CannotSign(_))
    ));
    let issuer = KeyRing::new(
        SigningKey::ed25519_pem(ED_PRIVATE, ED_PUBLIC).unwrap(),
        config(60, 0),
    );
    let token = issuer.sign(&claims_at(NOW, 60)).unwrap();
    assert_eq!(verifier.verify_at(&token, NOW).unwrap().sub, "alice");
}
