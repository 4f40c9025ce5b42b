//! What the dependencies of a route add to its documentation and its start-up checks.
//!
//! apistos documents a handler by calling each parameter type's `ApiComponent`
//! functions. A dependency's own facts (the statuses its provider can answer with,
//! the app state it reads, the dependencies beneath it) have no slot there, so while
//! a route is being registered a collector listens on this thread: [`Dep`](super::Dep)
//! and [`State`](super::State) report to it from inside those calls, at any depth.

use std::{any::TypeId, cell::RefCell};

/// What a route's dependencies add: statuses and required app state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DependencyDocs {
    /// Error statuses the dependencies can answer with.
    pub(crate) statuses: Vec<u16>,
    /// App state the dependencies read: type, its name, and the chain that needs it.
    pub(crate) states: Vec<(TypeId, &'static str, String)>,
}

impl DependencyDocs {
    pub(crate) fn merge(&mut self, other: &DependencyDocs) {
        for status in &other.statuses {
            if !self.statuses.contains(status) {
                self.statuses.push(*status);
            }
        }
        for state in &other.states {
            if !self.states.iter().any(|s| s.0 == state.0) {
                self.states.push(state.clone());
            }
        }
    }
}

#[derive(Default)]
struct Collector {
    docs: DependencyDocs,
    /// The dependencies being documented, outermost first (to name chains and
    /// catch cycles).
    stack: Vec<(TypeId, &'static str)>,
}

thread_local! {
    static COLLECTOR: RefCell<Option<Collector>> = const { RefCell::new(None) };
}

/// Runs `document` (which calls apistos' documentation functions) and returns what
/// the dependencies reported meanwhile, with the value `document` returned.
pub(crate) fn collect<R>(document: impl FnOnce() -> R) -> (R, DependencyDocs) {
    let outer = COLLECTOR.with(|c| c.borrow_mut().replace(Collector::default()));
    let result = document();
    let collected = COLLECTOR.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    (result, collected.map(|c| c.docs).unwrap_or_default())
}

/// Called by `Dep<T>`'s documentation: records `T`'s statuses and documents its
/// needs inside it (so state they read is attributed to the chain).
pub(crate) fn visit<T: 'static, R>(statuses: &[u16], document_needs: impl FnOnce() -> R) -> R {
    let id = TypeId::of::<T>();
    let name = short_name::<T>();
    let entered = COLLECTOR.with(|c| {
        let mut c = c.borrow_mut();
        let Some(collector) = c.as_mut() else {
            return false;
        };
        if collector.stack.iter().any(|(t, _)| *t == id) {
            let chain: Vec<_> = collector.stack.iter().map(|(_, n)| *n).collect();
            panic!(
                "dependency cycle: {} -> {name}: a dependency cannot need itself",
                chain.join(" -> ")
            );
        }
        collector.stack.push((id, name));
        for status in statuses {
            if !collector.docs.statuses.contains(status) {
                collector.docs.statuses.push(*status);
            }
        }
        true
    });
    let result = document_needs();
    if entered {
        COLLECTOR.with(|c| {
            if let Some(collector) = c.borrow_mut().as_mut() {
                collector.stack.pop();
            }
        });
    }
    result
}

/// Called by `State<T>`'s documentation: records that the route reads state `T`.
pub(crate) fn require_state<T: ?Sized + 'static>() {
    COLLECTOR.with(|c| {
        if let Some(collector) = c.borrow_mut().as_mut() {
            let chain: Vec<_> = collector.stack.iter().map(|(_, n)| *n).collect();
            let id = TypeId::of::<T>();
            if !collector.docs.states.iter().any(|s| s.0 == id) {
                collector
                    .docs
                    .states
                    .push((id, std::any::type_name::<T>(), chain.join(" -> ")));
            }
        }
    });
}

fn short_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// Called by extractors' documentation: records error statuses they can answer with
/// (e.g. 401 for a missing credential).
pub(crate) fn declare_statuses(statuses: &[u16]) {
    COLLECTOR.with(|c| {
        if let Some(collector) = c.borrow_mut().as_mut() {
            for status in statuses {
                if !collector.docs.statuses.contains(status) {
                    collector.docs.statuses.push(*status);
                }
            }
        }
    });
}
