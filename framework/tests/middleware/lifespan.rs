//! Start-up hooks: run once, in order, mounted apps' too, before the first
//! request; a failing one stops start-up with its message.

use std::sync::{Arc, Mutex};

use apiarist::{App, Router, testing::TestClient};

use super::support::hello;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn hook(
    log: &Log,
    name: &'static str,
) -> impl Fn() -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
    let log = log.clone();
    move || {
        log.lock().unwrap().push(name);
        std::future::ready(Ok(()))
    }
}

#[actix_web::test]
async fn startup_hooks_run_in_order_before_the_first_request() {
    let log: Log = Arc::default();
    let legacy = App::new("legacy").on_startup(hook(&log, "mounted"));
    let app = App::new("t")
        .on_startup(hook(&log, "open pool"))
        .on_startup({
            let log = log.clone();
            move || {
                let log = log.clone();
                async move {
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
                    log.lock().unwrap().push("warm cache");
                    Ok::<_, std::io::Error>(())
                }
            }
        })
        .mount("/v1", legacy)
        .include(Router::new().get("/hello", hello));
    let client = TestClient::new(app).await;
    assert_eq!(*log.lock().unwrap(), ["open pool", "warm cache", "mounted"]);
    assert_eq!(client.get("/hello").send().await.status(), 200);
    assert_eq!(
        log.lock().unwrap().len(),
        3,
        "once, not per request or worker"
    );
}

#[actix_web::test]
async fn a_failing_startup_hook_stops_start_up_with_its_message() {
    let log: Log = Arc::default();
    let app = App::new("orders")
        .on_startup(|| async { Err::<(), _>("the broker is unreachable") })
        .on_startup(hook(&log, "never"));
    let err = app.startup().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "start-up of orders failed: the broker is unreachable"
    );
    assert!(log.lock().unwrap().is_empty(), "later hooks do not run");
}
