//! Walking a value through a [`Shape`]: validate, coerce, and collect every error.
//!
//! serde stops at the first problem and words it for Rust developers; FastAPI
//! clients expect the whole list at once, in pydantic's words, with pydantic's
//! coercions applied (`"5"` → `5`). So the raw JSON goes through this walker first:
//! it rewrites coerced scalars in place (no copy of the tree), fills declared
//! defaults, and records one [`FieldError`] per failing field, in declaration order,
//! then extra keys. Within one field only the first failing constraint is reported,
//! as pydantic does. serde then deserialises the conformed value, which matches the
//! Rust type unless the schema does not describe it fully.

use std::cmp::Ordering::Equal;

use serde_json::{Number, Value};

use crate::validation::coerce::{cmp_num, numeric_issue, to_bool, to_float, to_int};
use crate::validation::datetime::{to_date, to_datetime};
use crate::validation::error::{FieldError, LocItem};
use crate::validation::formats::{email_problem, url_problem, uuid_problem};
use crate::validation::messages::Issue;
use crate::validation::shape::{
    Choice, Extra, Format, Kind, List, NodeId, Numeric, Object, Shape, Tagged, Text,
};

/// Where the raw values come from, which decides coercion rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// JSON body: pydantic's lax JSON mode.
    Json,
    /// Strings from query string, path, headers, cookies, urlencoded/multipart form
    /// fields. Scalars arrive as JSON strings; a lone string given where a list is
    /// expected is taken as a one-item list.
    Text,
}

impl Shape {
    /// Validates and coerces `value`, as pydantic validates a model.
    ///
    /// `loc` is the prefix of every error location, e.g. `["body"]`. On success the
    /// value is returned coerced (numeric strings turned to numbers, dates
    /// normalised, defaults filled); on failure, every error found.
    pub fn conform(
        &self,
        value: Value,
        source: Source,
        loc: &[LocItem],
    ) -> Result<Value, Vec<FieldError>> {
        self.run(value, source, loc, false)
    }

    /// Like [`conform`](Shape::conform), for a root object whose properties are
    /// separate parameters (query, path, header, cookie) rather than one model:
    /// FastAPI then reports a missing parameter with `input: null`, not the object.
    pub fn conform_params(
        &self,
        value: Value,
        source: Source,
        loc: &[LocItem],
    ) -> Result<Value, Vec<FieldError>> {
        self.run(value, source, loc, true)
    }

    fn run(
        &self,
        mut value: Value,
        source: Source,
        loc: &[LocItem],
        params: bool,
    ) -> Result<Value, Vec<FieldError>> {
        let mut walker = Walker {
            shape: self,
            source,
            prefix: loc,
            params,
            path: Vec::new(),
            errors: Vec::new(),
            quiet: 0,
            failed: 0,
            strict: false,
        };
        walker.walk(self.root, &mut value);
        if walker.errors.is_empty() {
            Ok(value)
        } else {
            Err(walker.errors)
        }
    }
}

/// One step of the current location, borrowing property names from the shape.
enum Seg<'s> {
    Key(&'s str),
    Owned(String),
    Index(usize),
}

struct Walker<'s, 'p> {
    shape: &'s Shape,
    source: Source,
    prefix: &'p [LocItem],
    params: bool,
    path: Vec<Seg<'s>>,
    errors: Vec<FieldError>,
    /// Above zero while union branches are tried: failures are counted, not built.
    quiet: u32,
    failed: usize,
    /// No coercion (first pass over union branches).
    strict: bool,
}

impl<'s> Walker<'s, '_> {
    fn fail(&mut self, issue: Issue, input: &Value) {
        self.failed += 1;
        if self.quiet > 0 {
            return;
        }
        let mut loc = Vec::with_capacity(self.prefix.len() + self.path.len());
        loc.extend_from_slice(self.prefix);
        loc.extend(self.path.iter().map(|seg| match seg {
            Seg::Key(k) => LocItem::Key((*k).to_owned()),
            Seg::Owned(k) => LocItem::Key(k.clone()),
            Seg::Index(i) => LocItem::Index(*i),
        }));
        self.errors.push(issue.at(loc, input.clone()));
    }

    fn at(&mut self, seg: Seg<'s>, id: NodeId, v: &mut Value) {
        self.path.push(seg);
        self.walk(id, v);
        self.path.pop();
    }

    fn walk(&mut self, id: NodeId, v: &mut Value) {
        let shape = self.shape;
        let node = &shape.nodes[id];
        if node.nullable && v.is_null() {
            return;
        }
        let before = self.failed;
        match &node.kind {
            Kind::Any => {}
            Kind::Never => self.fail(Issue::ExtraForbidden, v),
            Kind::Null if v.is_null() => {}
            Kind::Null => self.fail(Issue::NoneRequired, v),
            Kind::Bool => self.scalar(to_bool(v, self.strict), v, None),
            Kind::Int(rules) => self.scalar(to_int(v, self.strict), v, Some(rules)),
            Kind::Float(rules) => self.scalar(to_float(v, self.strict), v, Some(rules)),
            Kind::Str(text) => self.string(text, v),
            Kind::Array(list) => self.array(list, v),
            Kind::Object(obj) => self.object(obj, v),
            Kind::Choice(choice) => self.choice(choice, v),
            Kind::Union(branches) => self.union(branches, v),
            Kind::Tagged(tagged) => self.tagged(tagged, v),
        }
        if self.failed == before {
            for &next in &node.also {
                self.walk(next, v);
            }
        }
    }

    /// Applies a scalar coercion, then numeric constraints on the coerced number;
    /// errors show the input as given.
    fn scalar(
        &mut self,
        coerced: Result<Option<Value>, Issue>,
        v: &mut Value,
        rules: Option<&Numeric>,
    ) {
        let new = match coerced {
            Ok(new) => new,
            Err(issue) => return self.fail(issue, v),
        };
        if let (Some(rules), Value::Number(n)) = (rules, new.as_ref().unwrap_or(&*v))
            && let Some(issue) = numeric_issue(rules, n)
        {
            return self.fail(issue, v);
        }
        if let Some(new) = new {
            *v = new;
        }
    }

    fn string(&mut self, text: &Text, v: &mut Value) {
        let normalised = match text.format {
            Some(Format::DateTime) => Some(to_datetime(v)),
            Some(Format::Date) => Some(to_date(v)),
            _ => None,
        };
        match normalised {
            Some(Ok(s)) => return *v = Value::String(s),
            Some(Err(issue)) => return self.fail(issue, v),
            None => {}
        }
        let Value::String(s) = &*v else {
            let issue = match text.format {
                Some(Format::Uuid) => Issue::UuidType,
                Some(Format::Uri) => Issue::UrlType,
                _ => Issue::StringType,
            };
            return self.fail(issue, v);
        };
        if text.min.is_some() || text.max.is_some() {
            let len = s.chars().count();
            match (text.min, text.max) {
                (Some(min), _) if len < min => return self.fail(Issue::StringTooShort(min), v),
                (_, Some(max)) if len > max => return self.fail(Issue::StringTooLong(max), v),
                _ => {}
            }
        }
        if let Some((re, pattern)) = &text.pattern
            && !re.is_match(s)
        {
            return self.fail(Issue::PatternMismatch(pattern.to_string()), v);
        }
        let problem = match text.format {
            Some(Format::Email) => email_problem(s).map(Issue::Email),
            Some(Format::Uuid) => uuid_problem(s).map(Issue::UuidParsing),
            Some(Format::Uri) => url_problem(s).map(Issue::UrlParsing),
            _ => None,
        };
        if let Some(issue) = problem {
            self.fail(issue, v);
        }
    }

    fn array(&mut self, list: &'s List, v: &mut Value) {
        if self.source == Source::Text && v.is_string() {
            *v = Value::Array(vec![v.take()]);
        }
        let tuple = !list.prefix.is_empty();
        let (field_type, type_issue) = match (tuple, list.unique) {
            (true, _) => ("Tuple", Issue::TupleType),
            (false, true) => ("Set", Issue::SetType),
            (false, false) => ("List", Issue::ListType),
        };
        let Value::Array(items) = v else {
            return self.fail(type_issue, v);
        };
        let len = items.len();
        if let Some(max) = list.max.filter(|&max| len > max && !list.unique) {
            return self.fail(Issue::TooLong(field_type, max, Some(len)), v);
        }
        let before = self.failed;
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(id) = list.prefix.get(i).copied().or(list.items) {
                self.at(Seg::Index(i), id, item);
            }
        }
        if self.failed != before {
            return;
        }
        // Sets are measured after deduplication, as pydantic builds the set first.
        let len = if list.unique && (list.min.is_some() || list.max.is_some()) {
            let distinct: std::collections::HashSet<String> =
                items.iter().map(Value::to_string).collect();
            distinct.len()
        } else {
            len
        };
        match (list.min, list.max) {
            (_, Some(max)) if len > max => self.fail(Issue::TooLong(field_type, max, None), v),
            (Some(min), _) if len < min && tuple => {
                for i in len..min {
                    self.path.push(Seg::Index(i));
                    self.fail(Issue::Missing, v);
                    self.path.pop();
                }
            }
            (Some(min), _) if len < min => self.fail(Issue::TooShort(field_type, min, len), v),
            _ => {}
        }
    }

    fn object(&mut self, obj: &'s Object, v: &mut Value) {
        let Value::Object(map) = v else {
            let issue = if obj.model {
                Issue::ModelAttributesType
            } else {
                Issue::DictType
            };
            return self.fail(issue, v);
        };
        let report_whole = !(self.params && self.path.is_empty());
        let missing = obj
            .props
            .iter()
            .any(|p| p.required && !map.contains_key(&*p.name));
        let original = (missing && report_whole).then(|| Value::Object(map.clone()));
        let mut defaults = Vec::new();
        for prop in &obj.props {
            match map.get_mut(&*prop.name) {
                Some(child) => self.at(Seg::Key(&prop.name), prop.node, child),
                None if prop.required => {
                    self.path.push(Seg::Key(&prop.name));
                    self.fail(Issue::Missing, original.as_ref().unwrap_or(&Value::Null));
                    self.path.pop();
                }
                None => defaults.extend(
                    prop.default
                        .as_ref()
                        .filter(|d| !d.is_null())
                        .map(|d| (&prop.name, d)),
                ),
            }
        }
        let declared = |key: &str| obj.props.iter().any(|p| &*p.name == key);
        match obj.extra {
            Extra::Allow => {}
            Extra::Forbid => {
                for (key, value) in map.iter().filter(|(k, _)| !declared(k)) {
                    self.path.push(Seg::Owned(key.clone()));
                    self.fail(Issue::ExtraForbidden, value);
                    self.path.pop();
                }
            }
            Extra::Schema(id) => {
                for (key, value) in map.iter_mut().filter(|(k, _)| !declared(k)) {
                    self.at(Seg::Owned(key.clone()), id, value);
                }
            }
        }
        for (name, default) in defaults {
            map.insert(name.to_string(), default.clone());
        }
    }

    fn choice(&mut self, choice: &Choice, v: &mut Value) {
        let lax = !self.strict && !choice.literal;
        let found = choice.values.iter().find(|c| same_choice(c, v, lax));
        match found {
            Some(c) if c != v => *v = c.clone(),
            Some(_) => {}
            None if choice.literal => self.fail(Issue::Literal(choice.expected.clone()), v),
            None => self.fail(Issue::Enum(choice.expected.clone()), v),
        }
    }

    /// pydantic's smart union, approximated: the first branch that matches without
    /// coercion wins, else the first that matches with it; if none does, every
    /// branch's errors are reported under the branch's name.
    fn union(&mut self, branches: &[NodeId], v: &mut Value) {
        let failed = self.failed;
        let strict = self.strict;
        self.quiet += 1;
        for pass_strict in [true, false] {
            if strict && !pass_strict {
                break;
            }
            self.strict = pass_strict;
            for &id in branches {
                let mut trial = v.clone();
                let before = self.failed;
                self.walk(id, &mut trial);
                if self.failed == before {
                    (self.strict, self.failed) = (strict, failed);
                    self.quiet -= 1;
                    return *v = trial;
                }
            }
        }
        (self.strict, self.failed) = (strict, failed);
        self.quiet -= 1;
        for &id in branches {
            let mut trial = v.clone();
            self.at(Seg::Owned(self.shape.label(id)), id, &mut trial);
        }
    }

    fn tagged(&mut self, tagged: &'s Tagged, v: &mut Value) {
        let Value::Object(map) = &*v else {
            return self.fail(Issue::ModelAttributesType, v);
        };
        let tag = match map.get(&*tagged.field) {
            None => return self.fail(Issue::UnionTagNotFound(tagged.field.to_string()), v),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        match tagged.tags.iter().find(|(t, _)| *t == tag) {
            Some((t, id)) => self.at(Seg::Key(t), *id, v),
            None => {
                let issue =
                    Issue::UnionTagInvalid(tagged.field.to_string(), tag, tagged.expected.clone());
                self.fail(issue, v)
            }
        }
    }
}

/// Whether input `v` selects the allowed value `c`: equal, numerically equal, or
/// (lax, enums only: pydantic's `Literal` refuses it) a string spelling the number,
/// as query strings spell an `IntEnum`.
fn same_choice(c: &Value, v: &Value, lax: bool) -> bool {
    match (c, v) {
        (Value::Number(a), Value::Number(b)) => cmp_num(a, b) == Some(Equal),
        (Value::Number(a), Value::String(s)) if lax => {
            serde_json::from_str::<Number>(s.trim()).is_ok_and(|b| cmp_num(a, &b) == Some(Equal))
        }
        _ => c == v,
    }
}
