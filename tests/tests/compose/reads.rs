//! The walk over a file's items that records what code_facts counts as reads:
//! calls, settings structs, consts and tables (see the parent module's docs).

use std::collections::BTreeSet;

use syn::{
    Attribute, Expr, Fields, GenericArgument, Lit, Pat, PathArguments, ReturnType, Type,
    visit::{self, Visit},
};

use super::{CodeFacts, is_test_only};

/// The variables a settings struct's fields stand for, and the types of its
/// `#[serde(flatten)]` fields (whose own fields are variables too).
#[derive(Debug, Default, Clone)]
pub(super) struct StructVars {
    pub(super) vars: BTreeSet<String>,
    pub(super) flattened: BTreeSet<String>,
}

/// The variables a settings struct's fields stand for.
fn struct_vars(fields: &Fields) -> StructVars {
    let mut vars = StructVars::default();
    let Fields::Named(named) = fields else {
        return vars;
    };
    for field in &named.named {
        let Some(ident) = &field.ident else { continue };
        let serde = serde_keys(&field.attrs);
        if serde.flatten {
            if let Some(ty) = type_name(&field.ty) {
                vars.flattened.insert(ty);
            }
            continue;
        }
        let name = serde.rename.unwrap_or_else(|| ident.to_string());
        vars.vars.insert(name.to_ascii_uppercase());
        for alias in serde.aliases {
            vars.vars.insert(alias.to_ascii_uppercase());
        }
    }
    vars
}

#[derive(Default)]
struct SerdeKeys {
    rename: Option<String>,
    aliases: Vec<String>,
    flatten: bool,
}

fn serde_keys(attrs: &[Attribute]) -> SerdeKeys {
    let mut keys = SerdeKeys::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("flatten") {
                keys.flatten = true;
            } else if meta.path.is_ident("rename") || meta.path.is_ident("alias") {
                let value: syn::LitStr = meta.value()?.parse()?;
                if meta.path.is_ident("rename") {
                    keys.rename = Some(value.value());
                } else {
                    keys.aliases.push(value.value());
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    keys
}

/// The last segment of a plain type path (`crate::x::Settings` -> `Settings`).
fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The `T` of a `Result<T, E>` (or any one-generic return type), else the type itself.
fn ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => Some(ty),
    }
}

/// The walk over one item's code, with what encloses the expression being visited.
pub(super) struct Reads<'f> {
    facts: &'f mut CodeFacts,
    self_type: Option<String>,
    fn_output: Option<String>,
    let_type: Option<String>,
}

impl<'f> Reads<'f> {
    pub(super) fn new(facts: &'f mut CodeFacts) -> Self {
        Self {
            facts,
            self_type: None,
            fn_output: None,
            let_type: None,
        }
    }

    fn resolve(&self, ty: &Type) -> Option<String> {
        let name = type_name(ty)?;
        if name == "Self" {
            self.self_type.clone()
        } else {
            Some(name)
        }
    }

    /// The `T` a function returns in its `Result<T, _>`.
    fn output(&self, sig: &syn::Signature) -> Option<String> {
        match &sig.output {
            ReturnType::Type(_, ty) => ok_type(ty).and_then(|t| self.resolve(t)),
            ReturnType::Default => None,
        }
    }

    fn call(&mut self, call: &syn::ExprCall) {
        let Expr::Path(func) = &*call.func else {
            return;
        };
        let segments: Vec<String> = func
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let last = segments.last().map(String::as_str);
        match last {
            Some("var" | "var_os") => match call.args.first() {
                Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(name),
                    ..
                })) => {
                    self.facts.direct.insert(name.value());
                }
                Some(Expr::Path(p)) => {
                    if let Some(id) = p.path.segments.last() {
                        self.facts.const_reads.insert(id.ident.to_string());
                    }
                }
                _ => {}
            },
            Some("from_default_env" | "try_from_default_env") => {
                self.facts.direct.insert("RUST_LOG".to_owned());
            }
            Some("from_env")
                if call.args.is_empty()
                    && (segments.len() == 1 || segments[segments.len() - 2] == "settings") =>
            {
                let turbofish = match &func.path.segments.last().map(|s| &s.arguments) {
                    Some(PathArguments::AngleBracketed(args)) => {
                        args.args.iter().find_map(|a| match a {
                            GenericArgument::Type(t) => self.resolve(t),
                            _ => None,
                        })
                    }
                    _ => None,
                };
                let ty = turbofish
                    .or_else(|| self.let_type.clone())
                    .or_else(|| self.fn_output.clone());
                if let Some(ty) = ty {
                    self.facts.figment_types.insert(ty);
                }
            }
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Reads<'_> {
    fn visit_item_struct(&mut self, node: &'ast syn::ItemStruct) {
        let vars = struct_vars(&node.fields);
        self.facts.structs.insert(node.ident.to_string(), vars);
    }

    fn visit_item_const(&mut self, node: &'ast syn::ItemConst) {
        let value = match &*node.expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(i), ..
            }) => Some(i.base10_digits().to_owned()),
            _ => None,
        };
        if let Some(value) = value {
            self.facts.consts.insert(node.ident.to_string(), value);
        }
        visit::visit_item_const(self, node);
    }

    fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
        let outer = self
            .self_type
            .replace(type_name(&node.self_ty).unwrap_or_default());
        visit::visit_item_impl(self, node);
        self.self_type = outer;
    }

    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        if is_test_only(&node.attrs) {
            return;
        }
        let output = self.output(&node.sig);
        let outer = std::mem::replace(&mut self.fn_output, output);
        visit::visit_item_fn(self, node);
        self.fn_output = outer;
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        if is_test_only(&node.attrs) {
            return;
        }
        let output = self.output(&node.sig);
        let outer = std::mem::replace(&mut self.fn_output, output);
        visit::visit_impl_item_fn(self, node);
        self.fn_output = outer;
    }

    fn visit_local(&mut self, node: &'ast syn::Local) {
        let annotated = match &node.pat {
            Pat::Type(t) => self.resolve(&t.ty),
            _ => None,
        };
        let outer = std::mem::replace(&mut self.let_type, annotated);
        visit::visit_local(self, node);
        self.let_type = outer;
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // Modules are walked by `read_items`, which knows where their files are.
    }

    fn visit_expr_struct(&mut self, node: &'ast syn::ExprStruct) {
        for field in &node.fields {
            let syn::Member::Named(member) = &field.member else {
                continue;
            };
            if let Expr::Lit(syn::ExprLit {
                lit: Lit::Str(name),
                ..
            }) = &field.expr
                && (member == "variable" || member.to_string().ends_with("_variable"))
            {
                self.facts.direct.insert(name.value());
            }
        }
        visit::visit_expr_struct(self, node);
    }

    fn visit_expr_call(&mut self, node: &'ast syn::ExprCall) {
        self.call(node);
        visit::visit_expr_call(self, node);
    }
}
