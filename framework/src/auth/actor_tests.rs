//! Tests of the supervised [`AuthActor`] through the [`Auth`](crate::auth::Auth) handle.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::*;
use crate::auth::{Auth, AuthError, KeyRing, SigningKey, ThrottleConfig, TokenConfig};

fn key(byte: u8, kid: &str) -> SigningKey {
    SigningKey::hs256(&[byte; 32]).unwrap().with_kid(kid)
}

fn start(max_failures: u32) -> Auth {
    let config = TokenConfig {
        leeway: Duration::ZERO,
        ..TokenConfig::default()
    };
    let throttle = ThrottleConfig {
        max_failures,
        ..ThrottleConfig::default()
    };
    Auth::start(
        KeyRing::new(key(1, "k1"), config),
        LoginThrottle::new(throttle),
    )
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[actix_rt::test]
async fn issue_then_verify_roundtrip() {
    let auth = start(5);
    let request = IssueToken {
        ttl: Some(Duration::from_secs(60)),
        roles: vec!["admin".into()],
        ..IssueToken::new("alice", ["items:read", "items:write"])
    };
    let token = auth.issue_with(request).await.unwrap();
    let claims = auth.verify(&token).unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.scopes, ["items:read", "items:write"]);
    assert_eq!(claims.roles, ["admin"]);
    assert_eq!(claims.exp - claims.iat, 60);
    // The same answer through the mailbox.
    let via_actor = auth.addr().send(VerifyToken { token }).await.unwrap();
    assert_eq!(via_actor, Ok(claims));
}

#[actix_rt::test]
async fn rotation_keeps_old_tokens_valid_and_signs_with_the_new_kid() {
    let auth = start(5);
    let old = auth.issue("alice", ["a"]).await.unwrap();
    auth.rotate_key(key(2, "k2")).await.unwrap();
    let new = auth.issue("alice", ["a"]).await.unwrap();
    assert_eq!((kid_of(&old).as_str(), kid_of(&new).as_str()), ("k1", "k2"));
    assert_eq!(auth.current_kid(), "k2");
    assert!(auth.verify(&old).is_ok());
    assert!(auth.verify(&new).is_ok());
    let again = auth.rotate_key(key(3, "k1")).await;
    assert_eq!(
        again,
        Err(AuthError::Key(KeyError::DuplicateKid("k1".into())))
    );
}

#[actix_rt::test]
async fn bad_tokens_are_rejected_with_the_right_error() {
    let auth = start(5);
    let token = auth.issue("alice", ["a"]).await.unwrap();
    let parts: Vec<&str> = token.split('.').collect();

    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged = URL_SAFE_NO_PAD.encode(payload.replace("alice", "admin"));
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    assert_eq!(auth.verify(&tampered), Err(TokenError::BadSignature));

    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
    assert_eq!(
        auth.verify(&format!("{none}.{}.", parts[1])),
        Err(TokenError::AlgorithmNotAllowed)
    );

    let stranger = KeyRing::new(key(9, "k9"), TokenConfig::default());
    let foreign = stranger.issue("alice", ["a"], None).unwrap();
    assert_eq!(auth.verify(&foreign), Err(TokenError::UnknownKey));
    let impostor = KeyRing::new(key(9, "k1"), TokenConfig::default());
    let wrong_key = impostor.issue("alice", ["a"], None).unwrap();
    assert_eq!(auth.verify(&wrong_key), Err(TokenError::BadSignature));

    let ring = KeyRing::new(key(1, "k1"), TokenConfig::default());
    let long_ago = ring
        .sign(&Claims::new(
            "alice",
            ["a"],
            unix_now() - 3600,
            Duration::from_secs(60),
        ))
        .unwrap();
    let err = auth.verify(&long_ago).unwrap_err();
    assert_eq!(
        (err.clone(), err.to_string()),
        (TokenError::Expired, "Token has expired".to_owned())
    );
}

#[actix_rt::test]
async fn throttling_returns_retry_after_and_resets_on_success() {
    let auth = start(3);
    for _ in 0..2 {
        auth.record_login_failure("alice", "ip1").await.unwrap();
    }
    auth.check_login("alice", "ip1").await.unwrap();
    auth.record_login_success("alice", "ip1").await.unwrap();
    // The success cleared the two failures: two more do not lock.
    for _ in 0..2 {
        auth.record_login_failure("alice", "ip1").await.unwrap();
    }
    let locked = auth.record_login_failure("alice", "ip1").await;
    assert!(matches!(locked, Err(AuthError::Throttled(_))), "{locked:?}");
    let Err(AuthError::Throttled(retry)) = auth.check_login("alice", "ip1").await else {
        panic!("expected a lockout");
    };
    assert!(retry.0 > Duration::from_secs(14 * 60) && retry.0 <= Duration::from_secs(15 * 60));
    auth.check_login("alice", "ip2").await.unwrap();
}

#[actix_rt::test]
async fn a_panic_restarts_the_actor_and_keeps_its_state() {
    let auth = start(2);
    let before = auth.issue("alice", ["a"]).await.unwrap();
    auth.rotate_key(key(2, "k2")).await.unwrap();
    auth.record_login_failure("mallory", "ip").await.unwrap();

    let crashed = auth.addr().send(Crash).await;
    assert_eq!(crashed, Err(actix::MailboxError::Closed));
    assert!(
        auth.addr().connected(),
        "the supervisor keeps the mailbox open"
    );

    // The restarted actor answers, with the keys and the throttle it had.
    let after = auth.issue("alice", ["a"]).await.unwrap();
    assert_eq!(kid_of(&after), "k2");
    assert_eq!(auth.verify(&before).unwrap().sub, "alice");
    assert_eq!(auth.verify(&after).unwrap().sub, "alice");
    let locked = auth.record_login_failure("mallory", "ip").await;
    assert!(
        matches!(locked, Err(AuthError::Throttled(_))),
        "crashing must not reset lockouts"
    );
}

#[actix_rt::test]
async fn the_handle_is_cheap_to_share_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Auth>();
    let auth = start(5);
    let token = auth.issue("alice", ["a"]).await.unwrap();
    let clone = auth.clone();
    let claims = std::thread::spawn(move || clone.verify(&token))
        .join()
        .unwrap();
    assert_eq!(claims.unwrap().sub, "alice");
}
