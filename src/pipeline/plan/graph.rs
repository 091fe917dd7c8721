//! Insertion order: referenced rows must exist before the rows that reference them. Foreign keys
//! form a graph (collection → the collection it references); cycles — a self-referencing tree, two
//! collections referencing each other — are broken by holding back nullable foreign keys and
//! setting them in a second pass, choosing the cheapest ones (fewest rows to update).

use std::collections::{BTreeMap, BTreeSet};

/// `from.field` references `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub field: String,
    pub to: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Collections, referenced ones first.
    pub collections: Vec<String>,
    /// Edges held back for the second pass.
    pub deferred: Vec<Edge>,
}

/// A cycle of required foreign keys: no order can insert it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unbreakable(pub Vec<Edge>);

/// Order `nodes` given `edges` (only edges between nodes matter). `rows` weighs each collection by
/// its row count, the cost of updating it in the second pass.
pub fn order(nodes: &BTreeSet<String>, edges: &[Edge], rows: &BTreeMap<String, u64>) -> Result<Order, Unbreakable> {
    let inside: Vec<&Edge> = edges.iter().filter(|e| nodes.contains(&e.from) && nodes.contains(&e.to)).collect();
    let mut deferred: Vec<Edge> = Vec::new();
    let mut kept: Vec<&Edge> = Vec::new();
    for edge in inside {
        if edge.from == edge.to {
            if !edge.nullable {
                return Err(Unbreakable(vec![edge.clone()]));
            }
            deferred.push(edge.clone());
        } else {
            kept.push(edge);
        }
    }

    // Hold back the cheapest nullable edge that still lies on a cycle, until none is left.
    loop {
        let components = strongly_connected(nodes, &kept);
        let cyclic: Vec<&Edge> =
            kept.iter().copied().filter(|e| at(&components, &e.from) == at(&components, &e.to)).collect();
        if cyclic.is_empty() {
            break;
        }
        let cheapest = cyclic
            .iter()
            .copied()
            .filter(|e| e.nullable)
            .min_by_key(|e| (rows.get(&e.from).copied().unwrap_or(0), (*e).clone()));
        match cheapest {
            Some(edge) => {
                deferred.push(edge.clone());
                kept.retain(|e| *e != edge);
            }
            None => return Err(Unbreakable(cyclic.into_iter().cloned().collect())),
        }
    }

    // Kahn's algorithm, smallest name first among the ready ones, for a stable order.
    let mut waiting_on: BTreeMap<&str, BTreeSet<&str>> = nodes.iter().map(|n| (n.as_str(), BTreeSet::new())).collect();
    for edge in kept.iter().filter(|e| nodes.contains(&e.to)) {
        if let Some(deps) = waiting_on.get_mut(edge.from.as_str()) {
            deps.insert(edge.to.as_str());
        }
    }
    let mut collections = Vec::with_capacity(nodes.len());
    while !waiting_on.is_empty() {
        // None ready would be a cycle left, which the deferral above rules out.
        let Some(ready) = waiting_on.iter().find(|(_, deps)| deps.is_empty()).map(|(n, _)| *n) else {
            return Err(Unbreakable(kept.into_iter().cloned().collect()));
        };
        waiting_on.remove(ready);
        for deps in waiting_on.values_mut() {
            deps.remove(ready);
        }
        collections.push(ready.to_string());
    }
    deferred.sort();
    Ok(Order { collections, deferred })
}

/// Component index of every node (Tarjan's algorithm, iterative).
fn strongly_connected<'a>(nodes: &'a BTreeSet<String>, edges: &[&'a Edge]) -> BTreeMap<&'a str, usize> {
    let mut successors: BTreeMap<&str, Vec<&str>> = nodes.iter().map(|n| (n.as_str(), Vec::new())).collect();
    // An edge to a collection outside `nodes` cannot be on a cycle among them.
    for edge in edges.iter().filter(|e| nodes.contains(&e.to)) {
        if let Some(next) = successors.get_mut(edge.from.as_str()) {
            next.push(edge.to.as_str());
        }
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut low: BTreeMap<&str, usize> = BTreeMap::new();
    let mut on_stack: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = Vec::new();
    let mut component: BTreeMap<&str, usize> = BTreeMap::new();
    let mut next = 0;

    for root in nodes.iter().map(String::as_str) {
        if index.contains_key(root) {
            continue;
        }
        // Each frame: the node and how many of its successors were visited.
        let mut frames: Vec<(&str, usize)> = vec![(root, 0)];
        index.insert(root, next);
        low.insert(root, next);
        next += 1;
        stack.push(root);
        on_stack.insert(root);
        while let Some((node, visited)) = frames.last_mut() {
            let node = *node;
            if let Some(&succ) = successors.get(node).and_then(|next| next.get(*visited)) {
                *visited += 1;
                if !index.contains_key(succ) {
                    index.insert(succ, next);
                    low.insert(succ, next);
                    next += 1;
                    stack.push(succ);
                    on_stack.insert(succ);
                    frames.push((succ, 0));
                } else if on_stack.contains(succ) {
                    let candidate = at(&index, succ).min(at(&low, node));
                    low.insert(node, candidate);
                }
                continue;
            }
            frames.pop();
            if let Some((parent, _)) = frames.last() {
                let candidate = at(&low, node).min(at(&low, parent));
                low.insert(*parent, candidate);
            }
            if at(&low, node) == at(&index, node) {
                let id = component.len();
                while let Some(member) = stack.pop() {
                    on_stack.remove(member);
                    component.insert(member, id);
                    if member == node {
                        break;
                    }
                }
            }
        }
    }
    component
}

/// A node's number in `map` (every visited node has one; `usize::MAX` stands for none).
fn at(map: &BTreeMap<&str, usize>, node: &str) -> usize {
    map.get(node).copied().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: &str, field: &str, to: &str, nullable: bool) -> Edge {
        Edge { from: from.into(), field: field.into(), to: to.into(), nullable }
    }

    fn nodes(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn sizes(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    #[test]
    fn referenced_collections_come_first() {
        let edges = [
            edge("articles", "author", "authors", true),
            edge("articles_tags", "articles_id", "articles", true),
            edge("articles_tags", "tags_id", "tags", true),
        ];
        let result =
            order(&nodes(&["articles", "articles_tags", "authors", "tags"]), &edges, &BTreeMap::new()).unwrap();
        assert_eq!(result.collections, vec!["authors", "articles", "tags", "articles_tags"]);
        assert!(result.deferred.is_empty());
    }

    #[test]
    fn self_references_are_deferred() {
        let result =
            order(&nodes(&["categories"]), &[edge("categories", "parent", "categories", true)], &BTreeMap::new())
                .unwrap();
        assert_eq!(result.collections, vec!["categories"]);
        assert_eq!(result.deferred, vec![edge("categories", "parent", "categories", true)]);
    }

    #[test]
    fn a_two_collection_cycle_defers_the_cheaper_side() {
        let edges =
            [edge("articles", "author", "authors", true), edge("authors", "favorite_article", "articles", true)];
        let all = nodes(&["articles", "authors"]);
        let result = order(&all, &edges, &sizes(&[("articles", 10_000), ("authors", 50)])).unwrap();
        assert_eq!(result.deferred, vec![edge("authors", "favorite_article", "articles", true)]);
        assert_eq!(result.collections, vec!["authors", "articles"]);
        let result = order(&all, &edges, &sizes(&[("articles", 5), ("authors", 50)])).unwrap();
        assert_eq!(result.deferred, vec![edge("articles", "author", "authors", true)]);
        assert_eq!(result.collections, vec!["articles", "authors"]);
    }

    #[test]
    fn only_nullable_edges_can_be_deferred() {
        let edges = [edge("a", "b_id", "b", false), edge("b", "a_id", "a", true)];
        let result = order(&nodes(&["a", "b"]), &edges, &sizes(&[("a", 1), ("b", 1_000_000)])).unwrap();
        assert_eq!(result.deferred, vec![edge("b", "a_id", "a", true)]);
        let required = [edge("a", "b_id", "b", false), edge("b", "a_id", "a", false)];
        let err = order(&nodes(&["a", "b"]), &required, &BTreeMap::new()).unwrap_err();
        assert_eq!(err.0.len(), 2);
        assert!(order(&nodes(&["t"]), &[edge("t", "p", "t", false)], &BTreeMap::new()).is_err());
    }

    #[test]
    fn a_longer_cycle_needs_one_deferral_and_edges_outside_the_nodes_are_ignored() {
        let edges = [
            edge("a", "x", "b", true),
            edge("b", "x", "c", true),
            edge("c", "x", "a", true),
            edge("a", "u", "directus_users", false),
        ];
        let result = order(&nodes(&["a", "b", "c"]), &edges, &sizes(&[("a", 3), ("b", 2), ("c", 1)])).unwrap();
        assert_eq!(result.deferred, vec![edge("c", "x", "a", true)]);
        assert_eq!(result.collections, vec!["c", "b", "a"]);
    }

    #[test]
    fn two_cycles_sharing_a_node() {
        let edges = [
            edge("a", "b", "b", true),
            edge("b", "a", "a", true),
            edge("a", "c", "c", true),
            edge("c", "a", "a", true),
        ];
        let result = order(&nodes(&["a", "b", "c"]), &edges, &sizes(&[("a", 100), ("b", 1), ("c", 1)])).unwrap();
        assert_eq!(result.deferred, vec![edge("b", "a", "a", true), edge("c", "a", "a", true)]);
        assert_eq!(result.collections, vec!["b", "c", "a"]);
    }
}
