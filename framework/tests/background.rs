//! BackgroundTasks: run after the response, failures logged with the request id and
//! never affecting the response.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use apiarist::{
    BackgroundTasks, State,
    prelude::*,
    testing::{CapturedLogs, TestClient},
};

#[derive(Debug, Default)]
struct Journal(Mutex<Vec<String>>);

impl Journal {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Ask {
    #[serde(default)]
    fail: bool,
}

/// Answers at once; the work happens afterwards.
#[api_operation(summary = "Subscribe")]
async fn subscribe(tasks: BackgroundTasks, journal: State<Journal>, q: Query<Ask>) -> Json<usize> {
    let journal = journal.into_data();
    let seen_by_handler = journal.lines().len();
    let first = journal.clone();
    tasks.add(async move {
        actix_web::rt::time::sleep(Duration::from_millis(30)).await;
        first.0.lock().unwrap().push("welcome mail".to_owned());
    });
    if q.fail {
        tasks.add(async { Err::<(), _>("the mail server said no") });
        tasks.add(async {
            if true {
                panic!("a task panicked");
            }
        });
    }
    let second = journal.clone();
    tasks.add(async move {
        second.0.lock().unwrap().push("audit".to_owned());
        Ok::<(), std::io::Error>(())
    });
    Json(seen_by_handler)
}

async fn eventually(journal: &Journal, expected: &[&str]) {
    for _ in 0..100 {
        if journal.lines() == expected {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(journal.lines(), expected);
}

#[actix_web::test]
async fn tasks_run_after_the_response_in_order_and_failures_are_only_logged() {
    let logs = CapturedLogs::start(tracing::Level::INFO);

    let journal = Arc::new(Journal::default());
    let app = App::new("bg")
        .state_data(actix_web::web::Data::from(journal.clone()))
        .include(Router::new().post("/subscribe", subscribe));
    let client = TestClient::new(app).await;

    let res = client.post("/subscribe").send().await;
    assert_eq!(res.status(), 200);
    // The response left before the first task finished its work.
    assert!(journal.lines().is_empty(), "{:?}", journal.lines());
    eventually(&journal, &["welcome mail", "audit"]).await;

    journal.0.lock().unwrap().clear();
    let res = client
        .post("/subscribe?fail=true")
        .header("x-request-id", "req-42")
        .send()
        .await;
    assert_eq!(
        res.status(),
        200,
        "a failing task never affects the response"
    );
    eventually(&journal, &["welcome mail", "audit"]).await;
    let text = logs.text();
    let failed = text
        .lines()
        .find(|l| l.contains("background task failed"))
        .expect(&text);
    assert!(failed.contains("req-42"), "{failed}");
    assert!(failed.contains("the mail server said no"), "{failed}");
    assert!(
        text.lines()
            .any(|l| l.contains("background task panicked") && l.contains("req-42")),
        "{text}"
    );
}
