//! A minimal SVG writer that escapes every text and attribute value.

use std::fmt::Write;

/// Escapes `s` for XML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An SVG document being written.
#[derive(Debug)]
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
    title: String,
}

impl Svg {
    /// A `width` × `height` chart whose accessible name is `title`.
    pub fn new(width: f64, height: f64, title: &str) -> Svg {
        Svg { body: String::new(), width, height, title: title.to_string() }
    }

    /// A line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) -> &mut Self {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="{width}"/>"#,
            escape(stroke)
        );
        self
    }

    /// A dashed line.
    pub fn dashed(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str) -> &mut Self {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-dasharray="4 3"/>"#,
            escape(stroke)
        );
        self
    }

    /// A filled rectangle with a tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) -> &mut Self {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
            w.max(0.0),
            h.max(0.0),
            escape(fill),
            escape(tip)
        );
        self
    }

    /// A circle with a tooltip.
    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, tip: &str) -> &mut Self {
        let _ = write!(
            self.body,
            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="{r}" fill="{}"><title>{}</title></circle>"#,
            escape(fill),
            escape(tip)
        );
        self
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, tip: &str) -> &mut Self {
        if points.is_empty() {
            return self;
        }
        let coords: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"><title>{}</title></polyline>"#,
            coords.join(" "),
            escape(stroke),
            escape(tip)
        );
        self
    }

    /// A translucent filled polygon (an interval band).
    pub fn band(&mut self, points: &[(f64, f64)], fill: &str) -> &mut Self {
        if points.is_empty() {
            return self;
        }
        let coords: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            self.body,
            r#"<polygon points="{}" fill="{}" fill-opacity="0.15" stroke="none"/>"#,
            coords.join(" "),
            escape(fill)
        );
        self
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) -> &mut Self {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{}" class="{}">{}</text>"#,
            escape(anchor),
            escape(class),
            escape(text)
        );
        self
    }

    /// The finished document. Text classes (`axis`, `label`, `muted`) are styled by the page's
    /// stylesheet: no inline styles, so a strict Content-Security-Policy holds.
    pub fn finish(&self) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}" font-family="system-ui, sans-serif" font-size="12"><title>{t}</title>{body}</svg>"#,
            w = self.width,
            h = self.height,
            t = escape(&self.title),
            body = self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(escape(r#"<a & "b">'"#), "&lt;a &amp; &quot;b&quot;&gt;&#39;");
        let mut s = Svg::new(10.0, 10.0, "a < b");
        s.text(1.0, 1.0, "start", "label", "x & y");
        let out = s.finish();
        assert!(out.contains("a &lt; b") && out.contains("x &amp; y"));
    }
}
