//! HTML pages rendered from templates (feature `templates`).

use apiarist::{Html, State, Templates, prelude::*, testing::TestClient};
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
struct Page {
    name: String,
}

/// An item page.
#[api_operation(summary = "Item page")]
async fn item_page(templates: State<Templates>, page: Path<Page>) -> Result<Html, HttpError> {
    let items = ["spoon", "fork"];
    templates.render(
        &format!("{}.html", page.name),
        &json!({"title": "<Kitchen>", "items": items}),
    )
}

fn app(templates: Templates) -> App {
    App::new("pages")
        .state(templates)
        .include(Router::new().get("/pages/{name}", item_page))
}

#[actix_web::test]
async fn pages_render_from_a_directory_escaped_and_as_html() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.html"),
        "<title>{{ title }}</title><ul>{% block body %}{% endblock %}</ul>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("items.html"),
        "{% extends \"base.html\" %}{% block body %}{% for i in items %}<li>{{ i|upper }}</li>{% endfor %}{% endblock %}",
    )
    .unwrap();
    let client = TestClient::new(app(Templates::from_dir(dir.path()))).await;
    let res = client.get("/pages/items").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        res.text(),
        "<title>&lt;Kitchen&gt;</title><ul><li>SPOON</li><li>FORK</li></ul>"
    );
}

#[actix_web::test]
async fn a_template_failure_is_a_plain_500() {
    let templates = Templates::new()
        .with_template("broken.html", "{{ items | no_such_filter }}")
        .unwrap();
    let client = TestClient::new(app(templates)).await;
    for page in ["/pages/broken", "/pages/missing"] {
        let res = client.get(page).send().await;
        assert_eq!(res.status(), 500, "{page}");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Internal Server Error"})
        );
    }
    assert!(
        Templates::new()
            .with_template("bad.html", "{% if %}")
            .is_err()
    );
}

#[actix_web::test]
async fn pages_are_documented_as_html() {
    let doc = app(Templates::new()).openapi();
    let content = &doc["paths"]["/pages/{name}"]["get"]["responses"]["200"]["content"];
    assert_eq!(content["text/html"]["schema"]["type"], "string");
}
