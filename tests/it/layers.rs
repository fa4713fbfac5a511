//! The layering rule: no import cycle between the top-level modules of `src/` (`assign`,
//! `http`, `state`, …). Every `crate::…` path outside comments counts, in `use` lines and inline.
//! `STAGELAB_CHECK_SRC` points the check at another tree (e.g. an older checkout's `src/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it names, each with the first file that does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The top-level modules a file's text names through `crate::…` paths (comments left out).
fn named_modules(text: &str) -> BTreeSet<String> {
    let code: String =
        text.lines().filter(|line| !line.trim_start().starts_with("//")).map(|line| format!("{line}\n")).collect();
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each item at depth one.
            let (mut depth, mut item_start) = (0usize, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn ident(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The module graph of the files under `src` (given as path relative to it → text).
fn graph<'a>(files: impl IntoIterator<Item = (String, &'a str)>) -> Graph {
    let mut graph = Graph::new();
    for (path, text) in files {
        let top = path.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let edges = graph.entry(top.clone()).or_default();
        for target in named_modules(text) {
            if target != top {
                edges.entry(target).or_insert_with(|| path.clone());
            }
        }
    }
    graph
}

/// A cycle of modules, if any: `[a, b, …, a]`.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(node: &str, graph: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn rust_files(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let src = std::env::var_os("STAGELAB_CHECK_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut files = Vec::new();
    rust_files(&src, &src, &mut files);
    assert!(files.len() > 50, "read {} files under {}", files.len(), src.display());
    let graph = graph(files.iter().map(|(p, t)| (p.clone(), t.as_str())));
    if let Some(cycle) = find_cycle(&graph) {
        let evidence: Vec<String> =
            cycle.windows(2).map(|w| format!("{} -> {} (in src/{})", w[0], w[1], graph[&w[0]][&w[1]])).collect();
        panic!("import cycle {}:\n{}", cycle.join(" -> "), evidence.join("\n"));
    }
}

#[test]
fn the_check_finds_a_cycle_through_use_groups_and_inline_paths() {
    let files = [
        ("assign/writer.rs", "use crate::http::metrics::Metrics;\n"),
        ("http/metrics.rs", "// crate::db is only mentioned\nfn f(s: &crate::state::AppState) {}\n"),
        ("state.rs", "use crate::{\n    assign::Assigner,\n    config::{self, Config},\n};\n"),
        ("config.rs", "pub struct Config;\n"),
    ];
    let graph = graph(files.iter().map(|(p, t)| (p.to_string(), *t)));
    assert_eq!(graph["state"].keys().collect::<Vec<_>>(), ["assign", "config"]);
    assert!(graph["http"].keys().all(|k| k == "state"), "comments do not count");
    let cycle = find_cycle(&graph).expect("a cycle");
    assert_eq!(cycle, ["assign", "http", "state", "assign"]);
    let acyclic = graph.into_iter().filter(|(k, _)| k != "state").collect();
    assert_eq!(find_cycle(&acyclic), None);
}
