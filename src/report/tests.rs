//! Rendering: the HTML page for 2 to 5 variants and for no data, with well-formed SVG charts.

use crate::analysis::tests::{input_parts, lifecycle};
use crate::analysis::{build, Input};

fn report(arms: &[(u64, u64, u64)]) -> crate::analysis::Report {
    let (e, a) = input_parts(arms);
    let l = lifecycle();
    build(&Input { experiment: &e, lifecycle: &l, aggregates: &a, now: chrono::Utc::now() })
}

/// Every `<svg>…</svg>` in `html`, each parsed as XML.
fn svgs(html: &str) -> usize {
    let mut count = 0;
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("an unclosed svg") + start + "</svg>".len();
        let doc = roxmltree::Document::parse(&rest[start..end]).unwrap_or_else(|e| panic!("bad SVG: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        count += 1;
        rest = &rest[end..];
    }
    count
}

#[test]
fn report_pages_render_for_two_to_five_variants() {
    for k in 2..=5 {
        let arms: Vec<(u64, u64, u64)> = (0..k).map(|i| (1000, 900, 100 + 10 * i)).collect();
        let r = report(&arms);
        let html = super::html::render(&r).unwrap();
        assert_eq!(svgs(&html), 4, "{k} variants");
        for v in &r.exposures.variants {
            assert!(html.contains(&v.variant));
        }
        assert!(html.contains(&r.verdicts[0].text.replace('\'', "&#x27;")), "verdict missing for {k} variants");
        let csv = super::csv::render(&r);
        assert_eq!(csv.lines().count(), 1 + r.metrics.len() * k as usize);
        assert!(super::text::render(&r).contains("Sample ratio"));
    }
}

#[test]
fn report_page_renders_without_data() {
    let r = report(&[(0, 0, 0), (0, 0, 0)]);
    let html = super::html::render(&r).unwrap();
    assert_eq!(svgs(&html), 4);
    assert!(html.contains("No results yet"));
}

#[test]
fn text_is_escaped_in_svg_and_html() {
    let mut r = report(&[(100, 100, 10), (100, 100, 12)]);
    r.name = "<script>alert(1)</script>".into();
    r.metrics[0].metric = "a<b & \"c\"".into();
    let html = super::html::render(&r).unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert_eq!(svgs(&html), 4);
}
