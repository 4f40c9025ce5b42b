//! [`Shape`]: the compiled form of a JSON Schema, and what it is made of.
//!
//! The schema (as `schemars` derives it from a Rust type) is the one description of
//! a request type that we have at run time, so validation is driven by it. Walking
//! raw JSON Schema per request would re-parse keywords, re-resolve `$ref`s and
//! re-compile regexes every time; instead the schema is compiled once into an arena
//! of nodes (built by [`crate::validation::compile`]): refs become indices (so recursive types
//! are fine), patterns are compiled `Regex`es, numeric bounds remember whether the
//! field is a float (which decides how pydantic renders them), and unions are
//! classified up front (nullable, enum of unit variants, discriminated by a `const`
//! tag, or plain). Shapes of Rust types are cached per type for the process.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use regex::Regex;
use serde_json::Value;

use crate::validation::error::py_repr;
use crate::validation::messages::Bound;

pub(crate) type NodeId = usize;

/// The compiled form of a JSON Schema, ready to [`conform`](Shape::conform) values.
///
/// Cheap to share: compile once (see [`Shape::of`]) and use from any thread.
#[derive(Debug)]
pub struct Shape {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
    /// [`object_fields`](Shape::object_fields), computed on first use: extractors of
    /// text sources ask for it on every request.
    pub(crate) fields: OnceLock<Option<Vec<FieldInfo>>>,
    /// [`types_suffice`](Shape::types_suffice), computed on first use.
    pub(crate) plain: OnceLock<bool>,
}

/// One property of an object-shaped root, for extractors of text sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// The property name as it appears in the input.
    pub name: String,
    /// Whether the property is a list, so repeated query/form keys collect into it.
    pub is_array: bool,
    /// Whether the property must be present.
    pub required: bool,
    /// Whether the property is an uploaded file (`format: binary`), or a list of them.
    pub is_file: bool,
}

#[derive(Debug)]
pub(crate) struct Node {
    pub nullable: bool,
    pub kind: Kind,
    /// Further schemas the value must satisfy too (`$ref`, `allOf`).
    pub also: Vec<NodeId>,
    /// The `$defs` name when this node is a definition: pydantic's union branch tag.
    pub label: Option<Box<str>>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Any,
    Never,
    Null,
    Bool,
    Int(Numeric),
    Float(Numeric),
    Str(Text),
    Array(List),
    Object(Object),
    Choice(Choice),
    Union(Vec<NodeId>),
    Tagged(Tagged),
}

#[derive(Debug, Default)]
pub(crate) struct Numeric {
    pub multiple_of: Option<Bound>,
    pub le: Option<Bound>,
    pub lt: Option<Bound>,
    pub ge: Option<Bound>,
    pub gt: Option<Bound>,
}

#[derive(Debug)]
pub(crate) struct Text {
    pub min: Option<usize>,
    pub max: Option<usize>,
    pub pattern: Option<(Regex, Box<str>)>,
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Email,
    Uuid,
    DateTime,
    Date,
    Uri,
    /// A file part of a multipart body (OpenAPI's `format: binary`).
    Binary,
}

#[derive(Debug)]
pub(crate) struct List {
    pub items: Option<NodeId>,
    pub prefix: Vec<NodeId>,
    pub min: Option<usize>,
    pub max: Option<usize>,
    /// `uniqueItems`: a set, which pydantic deduplicates instead of rejecting.
    pub unique: bool,
}

#[derive(Debug)]
pub(crate) struct Object {
    pub props: Vec<Prop>,
    pub extra: Extra,
    /// Has declared properties: a struct (pydantic model) rather than a map.
    pub model: bool,
}

#[derive(Debug)]
pub(crate) struct Prop {
    pub name: Box<str>,
    pub node: NodeId,
    pub required: bool,
    pub default: Option<Value>,
}

#[derive(Debug)]
pub(crate) enum Extra {
    Allow,
    Forbid,
    Schema(NodeId),
}

#[derive(Debug)]
pub(crate) struct Choice {
    pub values: Vec<Value>,
    /// The values as pydantic lists them in `msg`/`ctx`: `'a', 'b' or 'c'`.
    pub expected: String,
    /// A lone `const` (pydantic `Literal`, `literal_error`) rather than an enum.
    pub literal: bool,
}

#[derive(Debug)]
pub(crate) struct Tagged {
    pub field: Box<str>,
    pub tags: Vec<(String, NodeId)>,
    /// The tags as pydantic lists them: `'X', 'Y'`.
    pub expected: String,
}

impl Shape {
    /// Compiles a root schema; `$ref`s point into its `$defs` (or anywhere in it).
    /// Unknown keywords are ignored; an invalid `pattern` is ignored too.
    pub fn compile(schema: &Value) -> Shape {
        crate::validation::compile::compile(schema)
    }

    /// The shape of `T`, generated with a draft 2020-12 generator and compiled on
    /// first use; later calls return the same (leaked, process-lived) shape.
    pub fn of<T: schemars::JsonSchema + 'static>() -> &'static Shape {
        // Every request looks its types up: each thread keeps the shapes it has used,
        // so the lookup touches no lock, nor memory other cores write.
        thread_local! {
            static LOCAL: RefCell<HashMap<TypeId, &'static Shape, crate::type_map::TypeIdBuild>> =
                RefCell::default();
        }
        let id = TypeId::of::<T>();
        if let Some(shape) = LOCAL.with_borrow(|local| local.get(&id).copied()) {
            return shape;
        }
        let shape = Self::shared::<T>(id);
        LOCAL.with_borrow_mut(|local| local.insert(id, shape));
        shape
    }

    /// The process-wide cache behind [`of`](Self::of): only the first use of a type
    /// compiles its shape.
    fn shared<T: schemars::JsonSchema + 'static>(id: TypeId) -> &'static Shape {
        static CACHE: OnceLock<
            RwLock<HashMap<TypeId, &'static Shape, crate::type_map::TypeIdBuild>>,
        > = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(shape) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return shape;
        }
        let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
        cache.entry(id).or_insert_with(|| {
            let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
            let schema = generator.into_root_schema_for::<T>();
            Box::leak(Box::new(Shape::compile(schema.as_value())))
        })
    }

    /// If the root is an object: its properties in declaration order, each saying
    /// whether it is a list and whether it is required.
    pub fn object_fields(&self) -> Option<&[FieldInfo]> {
        self.fields
            .get_or_init(|| self.compute_object_fields())
            .as_deref()
    }

    /// Whether the root is an object of flat fields whose schemas say nothing a
    /// typed deserialiser does not check by itself: booleans, numbers without
    /// bounds (`minimum: 0` only, an unsigned type's), strings without length,
    /// pattern or format, enums, and optional (nullable) ones of these.
    ///
    /// For such a type, deserialising text parameters straight into it (then
    /// running its `Validate`, which may hold custom checks the schema cannot
    /// show) accepts exactly what conforming to the schema would: extractors take
    /// that shortcut and fall back to the full pipeline, which words the errors, on
    /// any failure.
    pub fn types_suffice(&self) -> bool {
        *self.plain.get_or_init(|| {
            let Some(root) = self.settle(self.root) else {
                return false;
            };
            match &self.nodes[root].kind {
                Kind::Object(obj) => obj.props.iter().all(|p| self.is_plain_scalar(p.node, 0)),
                _ => false,
            }
        })
    }

    fn is_plain_scalar(&self, id: NodeId, depth: u8) -> bool {
        let node = &self.nodes[id];
        if depth > 8
            || !node
                .also
                .iter()
                .all(|&a| self.is_plain_scalar(a, depth + 1))
        {
            return false;
        }
        match &node.kind {
            // A pure reference: its target was checked through `also`.
            Kind::Any => !node.also.is_empty(),
            Kind::Bool | Kind::Null | Kind::Choice(_) => true,
            Kind::Int(n) => {
                n.gt.is_none() && n.lt.is_none() && n.multiple_of.is_none() && natural_range(n)
            }
            Kind::Float(n) => {
                n.ge.is_none()
                    && n.gt.is_none()
                    && n.le.is_none()
                    && n.lt.is_none()
                    && n.multiple_of.is_none()
            }
            Kind::Str(t) => {
                t.min.is_none() && t.max.is_none() && t.pattern.is_none() && t.format.is_none()
            }
            Kind::Union(branches) => branches.iter().all(|&b| self.is_plain_scalar(b, depth + 1)),
            Kind::Never | Kind::Array(_) | Kind::Object(_) | Kind::Tagged(_) => false,
        }
    }

    fn compute_object_fields(&self) -> Option<Vec<FieldInfo>> {
        let Kind::Object(obj) = &self.nodes[self.settle(self.root)?].kind else {
            return None;
        };
        let fields = obj.props.iter().map(|p| FieldInfo {
            name: p.name.to_string(),
            is_array: self
                .settle(p.node)
                .is_some_and(|id| matches!(self.nodes[id].kind, Kind::Array(_))),
            required: p.required,
            is_file: self.is_binary(p.node),
        });
        Some(fields.collect())
    }

    /// Whether a node is a binary string, or a list (or optional) of them.
    fn is_binary(&self, id: NodeId) -> bool {
        let Some(id) = self.settle(id) else {
            return false;
        };
        match &self.nodes[id].kind {
            Kind::Str(text) => text.format == Some(Format::Binary),
            Kind::Array(list) => list.items.is_some_and(|item| self.is_binary(item)),
            Kind::Union(branches) => branches.iter().any(|&b| self.is_binary(b)),
            _ => false,
        }
    }

    /// Follows pure references to the node that carries the structure.
    fn settle(&self, mut id: NodeId) -> Option<NodeId> {
        for _ in 0..32 {
            let node = &self.nodes[id];
            match (&node.kind, node.also.as_slice()) {
                (Kind::Any, [next]) => id = *next,
                (Kind::Any, _) => return None,
                _ => return Some(id),
            }
        }
        None
    }

    /// The name pydantic would give this node as a union branch in error locations.
    pub(crate) fn label(&self, id: NodeId) -> String {
        let node = &self.nodes[id];
        if let Some(label) = &node.label {
            return label.to_string();
        }
        match &node.kind {
            Kind::Any => match node.also.as_slice() {
                [next] => self.label(*next),
                _ => "any".into(),
            },
            Kind::Never => "never".into(),
            Kind::Null => "none".into(),
            Kind::Bool => "bool".into(),
            Kind::Int(_) => "int".into(),
            Kind::Float(_) => "float".into(),
            Kind::Str(_) => "str".into(),
            Kind::Array(list) => match list.items {
                Some(items) => format!("list[{}]", self.label(items)),
                None => "list[any]".into(),
            },
            // serde's externally tagged variants are objects with one property.
            Kind::Object(obj) if obj.model => match obj.props.as_slice() {
                [only] => only.name.to_string(),
                _ => "model".into(),
            },
            Kind::Object(obj) => match obj.extra {
                Extra::Schema(v) => format!("dict[str,{}]", self.label(v)),
                _ => "dict[str,any]".into(),
            },
            Kind::Choice(c) => format!(
                "literal[{}]",
                c.values.iter().map(py_repr).collect::<Vec<_>>().join(",")
            ),
            Kind::Union(_) | Kind::Tagged(_) => "union".into(),
        }
    }
}

/// Whether an integer's bounds are exactly those of a Rust integer type (which its
/// schema's `format` implies, and serde enforces), or absent.
fn natural_range(n: &Numeric) -> bool {
    let low = n.ge.as_ref().map(|b| b.value.as_i64());
    let high = n.le.as_ref().map(|b| b.value.as_u64().map(i128::from));
    let unsigned = [
        u8::MAX.into(),
        u16::MAX.into(),
        u32::MAX.into(),
        u64::MAX.into(),
    ];
    let signed: [(i64, i128); 4] = [
        (i8::MIN.into(), i8::MAX.into()),
        (i16::MIN.into(), i16::MAX.into()),
        (i32::MIN.into(), i32::MAX.into()),
        (i64::MIN, i64::MAX.into()),
    ];
    match (low, high) {
        (None, None) | (Some(Some(0)), None) => true,
        (Some(Some(0)), Some(Some(max))) => unsigned.contains(&max),
        (Some(Some(min)), Some(Some(max))) => signed.contains(&(min, max)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::validation::{LocItem, Source};

    fn run(schema: Value, value: Value) -> Result<Value, Vec<String>> {
        let shape = Shape::compile(&schema);
        let result = shape.conform(value, Source::Json, &[]);
        result.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| format!("{}@{:?}", e.kind, e.loc))
                .collect()
        })
    }

    #[test]
    fn hand_written_keywords() {
        let nullable = json!({"type": "integer", "nullable": true});
        assert_eq!(run(nullable, json!(null)), Ok(json!(null)));
        let multi = json!({"type": ["integer", "boolean"]});
        assert_eq!(run(multi.clone(), json!(true)), Ok(json!(true)));
        assert_eq!(
            run(multi, json!([])),
            Err(vec![
                "int_type@[Key(\"int\")]".into(),
                "bool_type@[Key(\"bool\")]".into()
            ])
        );
        let draft4 = json!({"type": "number", "minimum": 0, "exclusiveMinimum": true});
        assert_eq!(run(draft4, json!(0)), Err(vec!["greater_than@[]".into()]));
        let all_of = json!({"allOf": [{"type": "string"}, {"minLength": 2, "type": "string"}]});
        assert_eq!(
            run(all_of, json!("a")),
            Err(vec!["string_too_short@[]".into()])
        );
        let legacy_tuple = json!({"type": "array", "items": [{"type": "integer"}], "minItems": 1});
        assert_eq!(run(legacy_tuple, json!(["1"])), Ok(json!([1])));
        let bad_regex = json!({"type": "string", "pattern": "(", "x-unknown": 1});
        assert_eq!(run(bad_regex, json!("(")), Ok(json!("(")));
        let literal_int = json!({"const": 1});
        assert_eq!(
            run(literal_int, json!("1")),
            Err(vec!["literal_error@[]".into()])
        );
        let int_enum = json!({"enum": [1, 2]});
        assert_eq!(run(int_enum, json!("2")), Ok(json!(2)));
        let nothing = json!({"type": "array", "prefixItems": [{"type": "null"}], "items": false});
        assert_eq!(
            run(nothing, json!([null, 1])),
            Err(vec!["extra_forbidden@[Index(1)]".into()])
        );
    }

    #[test]
    fn recursive_references_compile_once() {
        let schema = json!({
            "$ref": "#/$defs/Node",
            "$defs": {"Node": {"type": "object", "properties": {
                "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]},
                "self": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}
            }}}
        });
        let shape = Shape::compile(&schema);
        assert!(shape.nodes.len() < 10, "{}", shape.nodes.len());
        let value = json!({"next": {"next": {"self": {"next": 1}}}});
        let errors = shape.conform(value, Source::Json, &[]).unwrap_err();
        let loc: Vec<LocItem> = ["next", "next", "self", "next"].map(LocItem::from).to_vec();
        assert_eq!(
            (errors[0].kind.as_ref(), &errors[0].loc),
            ("model_attributes_type", &loc)
        );
    }

    #[test]
    fn object_fields_follow_refs_and_options() {
        let schema = json!({
            "type": "object",
            "properties": {
                "tags": {"type": ["array", "null"], "items": {"type": "string"}},
                "ids": {"anyOf": [{"$ref": "#/$defs/Ids"}, {"type": "null"}]},
                "q": {"type": "string"}
            },
            "required": ["q"],
            "$defs": {"Ids": {"type": "array", "items": {"type": "integer"}}}
        });
        let shape = Shape::compile(&schema);
        let fields = shape.object_fields().unwrap();
        let flags: Vec<_> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.is_array, f.required))
            .collect();
        assert_eq!(
            flags,
            [
                ("tags", true, false),
                ("ids", true, false),
                ("q", false, true)
            ]
        );
        assert_eq!(
            Shape::compile(&json!({"type": "string"})).object_fields(),
            None
        );
    }
}
