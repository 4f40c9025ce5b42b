//! Compiling a JSON Schema into a [`Shape`]'s arena of nodes.
//!
//! `$ref`s are resolved to node indices once (a reference reserves its node before
//! compiling the target, so recursive types terminate), and unions are classified
//! here rather than per request: `null` branches make the node nullable, branches
//! that are all `enum`/`const` merge into one enum (schemars splits documented
//! unit variants into separate `const`s), objects that all require a distinct
//! string `const` property become a discriminated union (serde's internally tagged
//! enums), and anything else is a plain union tried branch by branch.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::validation::error::{join_or, py_repr};
use crate::validation::keywords::{numeric, text, usize_of};
use crate::validation::shape::{
    Choice, Extra, Kind, List, Node, NodeId, Object, Prop, Shape, Tagged,
};

/// Compiles `schema` (a root schema whose `$ref`s point into it) into a [`Shape`].
pub(crate) fn compile(schema: &Value) -> Shape {
    let mut c = Compiler {
        root: schema,
        nodes: Vec::new(),
        refs: HashMap::new(),
    };
    let root = c.reference("#");
    Shape {
        nodes: c.nodes,
        root,
        fields: Default::default(),
        plain: Default::default(),
    }
}

struct Compiler<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    refs: HashMap<String, NodeId>,
}

fn node(kind: Kind) -> Node {
    Node {
        nullable: false,
        kind,
        also: Vec::new(),
        label: None,
    }
}

/// A branch that only says "null".
fn is_null_schema(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("null") || s.get("const") == Some(&Value::Null)
}

/// A branch that is only a list of allowed values (a unit enum variant).
fn is_choice_schema(s: &Value) -> bool {
    let structural = ["properties", "$ref", "anyOf", "oneOf", "allOf", "items"];
    (s.get("enum").is_some() || s.get("const").is_some())
        && structural.iter().all(|k| s.get(k).is_none())
}

impl<'a> Compiler<'a> {
    fn alloc(&mut self) -> NodeId {
        self.nodes.push(node(Kind::Any));
        self.nodes.len() - 1
    }

    fn compile(&mut self, schema: &'a Value) -> NodeId {
        let id = self.alloc();
        self.nodes[id] = self.build(schema);
        id
    }

    fn resolve(&self, pointer: &str) -> Option<&'a Value> {
        let path = pointer.strip_prefix('#')?;
        if path.is_empty() {
            Some(self.root)
        } else {
            self.root.pointer(path)
        }
    }

    /// Compiles the schema a `$ref` points to, once; cycles reuse the reserved node.
    fn reference(&mut self, pointer: &str) -> NodeId {
        if let Some(&id) = self.refs.get(pointer) {
            return id;
        }
        let id = self.alloc();
        self.refs.insert(pointer.to_owned(), id);
        if let Some(target) = self.resolve(pointer) {
            let mut built = self.build(target);
            if pointer != "#" {
                built.label = pointer.rsplit('/').next().map(Into::into);
            }
            self.nodes[id] = built;
        }
        id
    }

    /// A branch schema with one `$ref` hop followed.
    fn shallow(&self, s: &'a Value) -> &'a Value {
        s.get("$ref")
            .and_then(Value::as_str)
            .and_then(|p| self.resolve(p))
            .unwrap_or(s)
    }

    fn build(&mut self, schema: &'a Value) -> Node {
        let Some(obj) = schema.as_object() else {
            return node(if schema == &Value::Bool(false) {
                Kind::Never
            } else {
                Kind::Any
            });
        };
        let mut types: Vec<&str> = match obj.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let mut out = node(Kind::Any);
        out.nullable = obj.get("nullable") == Some(&Value::Bool(true));
        if types.len() > 1 && types.contains(&"null") {
            out.nullable = true;
            types.retain(|t| *t != "null");
        }
        if obj.contains_key("enum") || obj.contains_key("const") {
            let (choice, null) = self.choice(std::slice::from_ref(&schema));
            out.nullable |= null;
            out.kind = Kind::Choice(choice);
        } else if types.len() == 1 {
            out.kind = self.typed(types[0], obj);
        } else if types.len() > 1 {
            let branches = types.iter().map(|t| {
                let id = self.alloc();
                self.nodes[id] = node(self.typed(t, obj));
                id
            });
            out.kind = Kind::Union(branches.collect());
        } else if obj.contains_key("properties") {
            out.kind = self.typed("object", obj);
        }
        if let Some(pointer) = obj.get("$ref").and_then(Value::as_str) {
            let id = self.reference(pointer);
            out.also.push(id);
        }
        for part in obj
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = self.compile(part);
            out.also.push(id);
        }
        let branches = obj
            .get("anyOf")
            .or_else(|| obj.get("oneOf"))
            .and_then(Value::as_array);
        if let Some(branches) = branches {
            let (kind, null) = self.union(branches);
            out.nullable |= null;
            match kind {
                Ok(kind) if matches!(out.kind, Kind::Any) => out.kind = kind,
                Ok(kind) => {
                    let id = self.alloc();
                    self.nodes[id] = node(kind);
                    out.also.push(id);
                }
                Err(single) => out.also.push(single),
            }
        }
        out
    }

    /// Merges `enum`/`const` values of one or more schemas; reports a `null` member.
    fn choice(&self, schemas: &[&'a Value]) -> (Choice, bool) {
        let mut values = Vec::new();
        let mut literal = schemas.len() == 1;
        for s in schemas {
            if let Some(Value::Array(vs)) = s.get("enum") {
                values.extend(vs.iter().cloned());
                literal = false;
            } else if let Some(v) = s.get("const") {
                values.push(v.clone());
            }
        }
        let null = values.contains(&Value::Null);
        values.retain(|v| !v.is_null());
        let expected = join_or(&values.iter().map(py_repr).collect::<Vec<_>>());
        (
            Choice {
                values,
                expected,
                literal,
            },
            null,
        )
    }

    /// Classifies `anyOf`/`oneOf`. `Err(id)` is a lone remaining branch.
    fn union(&mut self, branches: &'a [Value]) -> (Result<Kind, NodeId>, bool) {
        let null = branches.iter().any(is_null_schema);
        let rest: Vec<&'a Value> = branches.iter().filter(|b| !is_null_schema(b)).collect();
        if rest.is_empty() {
            return (Ok(Kind::Null), false);
        }
        if rest.iter().all(|b| is_choice_schema(b)) {
            let (mut choice, also_null) = self.choice(&rest);
            choice.literal = false;
            return (Ok(Kind::Choice(choice)), null || also_null);
        }
        if let [one] = rest.as_slice() {
            return (Err(self.compile(one)), null);
        }
        if let Some(kind) = self.tagged(&rest) {
            return (Ok(kind), null);
        }
        (
            Ok(Kind::Union(
                rest.into_iter().map(|b| self.compile(b)).collect(),
            )),
            null,
        )
    }

    /// A union of objects that all require one property with a distinct string `const`.
    fn tagged(&mut self, rest: &[&'a Value]) -> Option<Kind> {
        let tag_of = |s: &Value, field: &str| -> Option<String> {
            let required = s.get("required")?.as_array()?.iter().any(|r| r == field);
            let prop = s.get("properties")?.get(field)?;
            let tag = prop.get("const").or_else(|| match prop.get("enum") {
                Some(Value::Array(vs)) if vs.len() == 1 => vs.first(),
                _ => None,
            });
            required.then(|| tag?.as_str().map(str::to_owned)).flatten()
        };
        let first = self.shallow(rest[0]);
        let candidates = first.get("properties")?.as_object()?.keys();
        for field in candidates {
            let tags: Option<Vec<String>> = rest
                .iter()
                .map(|b| tag_of(self.shallow(b), field))
                .collect();
            let Some(tags) = tags else { continue };
            if (1..tags.len()).any(|i| tags[..i].contains(&tags[i])) {
                continue;
            }
            let expected = tags
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let tags = tags
                .into_iter()
                .zip(rest)
                .map(|(t, b)| (t, self.compile(b)))
                .collect();
            return Some(Kind::Tagged(Tagged {
                field: field.as_str().into(),
                tags,
                expected,
            }));
        }
        None
    }

    fn typed(&mut self, ty: &str, obj: &'a Map<String, Value>) -> Kind {
        match ty {
            "null" => Kind::Null,
            "boolean" => Kind::Bool,
            "integer" => Kind::Int(numeric(obj, false)),
            "number" => Kind::Float(numeric(obj, true)),
            "string" => Kind::Str(text(obj)),
            "array" => {
                let prefix_schemas = match (obj.get("prefixItems"), obj.get("items")) {
                    (Some(Value::Array(p)), _) | (None, Some(Value::Array(p))) => p.as_slice(),
                    _ => &[],
                };
                let prefix = prefix_schemas.iter().map(|s| self.compile(s)).collect();
                let items = match obj.get("items") {
                    Some(s @ Value::Object(_)) | Some(s @ Value::Bool(false)) => {
                        Some(self.compile(s))
                    }
                    _ => None,
                };
                let (min, max) = (usize_of(obj, "minItems"), usize_of(obj, "maxItems"));
                let unique = obj.get("uniqueItems") == Some(&Value::Bool(true));
                Kind::Array(List {
                    items,
                    prefix,
                    min,
                    max,
                    unique,
                })
            }
            "object" => {
                let required: Vec<&str> = match obj.get("required") {
                    Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let mut props = Vec::new();
                if let Some(Value::Object(ps)) = obj.get("properties") {
                    for (name, s) in ps {
                        let node = self.compile(s);
                        let required = required.contains(&name.as_str());
                        let default = s.get("default").cloned();
                        props.push(Prop {
                            name: name.as_str().into(),
                            node,
                            required,
                            default,
                        });
                    }
                }
                let extra = match obj.get("additionalProperties") {
                    Some(Value::Bool(false)) => Extra::Forbid,
                    Some(s @ Value::Object(_)) => Extra::Schema(self.compile(s)),
                    _ => Extra::Allow,
                };
                Kind::Object(Object {
                    props,
                    extra,
                    model: obj.contains_key("properties"),
                })
            }
            _ => Kind::Any,
        }
    }
}
