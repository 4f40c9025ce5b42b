//! docker-compose.yml as the tests need it: each service's build, command,
//! environment, ports, healthcheck and dependencies, in the forms compose accepts
//! (a map or a `KEY=value` list for `environment`, the short or long `depends_on`,
//! `<<` merge keys).

use std::collections::BTreeMap;

use saphyr::{LoadableYamlNode, Mapping, Yaml};

/// The compose file.
#[derive(Debug)]
pub struct Compose {
    /// Services by name, in file order.
    pub services: Vec<Service>,
}

/// One service.
#[derive(Debug, Default)]
pub struct Service {
    /// Its name (its host name on the compose network).
    pub name: String,
    /// Whether compose builds its image from the Dockerfile.
    pub builds: bool,
    /// `command`, as words.
    pub command: Vec<String>,
    /// `environment`, by name.
    pub environment: BTreeMap<String, String>,
    /// `ports` (published on the host), as written.
    pub ports: Vec<String>,
    /// `healthcheck.test`, as words (`["CMD", ...]`).
    pub healthcheck: Vec<String>,
    /// `depends_on`: service -> condition (`service_started` in the short form).
    pub depends_on: BTreeMap<String, String>,
    /// `container_name`, which stops a service from being scaled.
    pub container_name: Option<String>,
}

impl Compose {
    /// Parses compose YAML; panics with the reason when it is not a compose file.
    pub fn parse(text: &str) -> Self {
        let docs = Yaml::load_from_str(text).unwrap_or_else(|e| panic!("invalid YAML: {e}"));
        assert_eq!(docs.len(), 1, "one YAML document");
        let services = docs[0]
            .as_mapping_get("services")
            .and_then(Yaml::as_mapping)
            .expect("a `services` mapping");
        let services = services
            .iter()
            .map(|(name, body)| {
                let name = name.as_str().expect("service names are strings");
                Service::parse(name, &merged(body))
            })
            .collect();
        Self { services }
    }

    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The services whose image is built from the Dockerfile (the project's own).
    pub fn built(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| s.builds)
    }
}

impl Service {
    fn parse(name: &str, body: &Mapping<'static>) -> Self {
        let get = |key: &'static str| body.get(&Yaml::value_from_str(key));
        let environment = match get("environment") {
            Some(Yaml::Mapping(vars)) => vars.iter().map(|(k, v)| (scalar(k), scalar(v))).collect(),
            Some(Yaml::Sequence(vars)) => vars
                .iter()
                .map(|v| {
                    let line = scalar(v);
                    let (k, v) = line.split_once('=').unwrap_or((&line, ""));
                    (k.to_owned(), v.to_owned())
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        let depends_on = match get("depends_on") {
            Some(Yaml::Sequence(names)) => names
                .iter()
                .map(|n| (scalar(n), "service_started".to_owned()))
                .collect(),
            Some(Yaml::Mapping(deps)) => deps
                .iter()
                .map(|(k, v)| {
                    let condition = v
                        .as_mapping_get("condition")
                        .map_or_else(|| "service_started".to_owned(), scalar);
                    (scalar(k), condition)
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        Self {
            name: name.to_owned(),
            builds: get("build").is_some(),
            command: get("command").map(words).unwrap_or_default(),
            environment,
            ports: get("ports").map(words).unwrap_or_default(),
            healthcheck: get("healthcheck")
                .and_then(|h| h.as_mapping_get("test"))
                .map(words)
                .unwrap_or_default(),
            depends_on,
            container_name: get("container_name").map(scalar),
        }
    }

    /// The value of `PORT` in its environment.
    pub fn port(&self) -> Option<u16> {
        self.environment.get("PORT").and_then(|p| p.parse().ok())
    }
}

/// A mapping with its `<<` merge keys applied (keys written out win).
fn merged(node: &Yaml) -> Mapping<'static> {
    let mut out = Mapping::new();
    let Some(map) = node.as_mapping() else {
        return out;
    };
    let merge_key = Yaml::value_from_str("<<");
    for (k, v) in map {
        if *k != merge_key {
            out.insert(owned(k), owned(v));
        }
    }
    let sources: Vec<&Yaml> = match map.get(&merge_key) {
        Some(Yaml::Sequence(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    };
    for source in sources {
        for (k, v) in merged(source) {
            out.entry(k).or_insert(v);
        }
    }
    out
}

fn owned(node: &Yaml) -> Yaml<'static> {
    match node {
        Yaml::Mapping(_) => Yaml::Mapping(merged(node)),
        Yaml::Sequence(items) => Yaml::Sequence(items.iter().map(owned).collect()),
        other => Yaml::value_from_cow(std::borrow::Cow::Owned(scalar(other))),
    }
}

/// A scalar as compose reads it: text (`8001`, `true` and `8001` all become text).
fn scalar(node: &Yaml) -> String {
    if let Some(s) = node.as_str() {
        s.to_owned()
    } else if let Some(i) = node.as_integer() {
        i.to_string()
    } else if let Some(b) = node.as_bool() {
        b.to_string()
    } else if let Some(f) = node.as_floating_point() {
        f.to_string()
    } else if node.is_null() {
        String::new()
    } else {
        panic!("expected a scalar, found {node:?}")
    }
}

/// A list of words, or one string split on whitespace (compose's shell form).
fn words(node: &Yaml) -> Vec<String> {
    match node {
        Yaml::Sequence(items) => items.iter().map(scalar).collect(),
        other => scalar(other)
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    }
}
