//! Numbers formatted for people: shared by the verdicts, the text report and the HTML page.

use super::report::Kind;

/// A metric value: a percentage with one decimal for rates, two decimals for means.
pub fn value(kind: Kind, x: f64) -> String {
    match kind {
        Kind::Proportion => format!("{:.1}%", x * 100.0),
        Kind::Mean => format!("{x:.2}"),
    }
}

/// A signed change: percentage points are shown as a signed percentage for rates.
pub fn signed(kind: Kind, x: f64) -> String {
    match kind {
        Kind::Proportion => signed_percent(x),
        Kind::Mean => format!("{}{:.2}", sign(x), x.abs()),
    }
}

/// A signed percentage with one decimal (`+11.7%`, `−4.2%`).
pub fn signed_percent(x: f64) -> String {
    format!("{}{:.1}%", sign(x), (x * 100.0).abs())
}

/// A probability as a percentage with one decimal.
pub fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A p-value: four decimals, or `< 0.0001`.
pub fn p_value(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// A p-value in a sentence: `p = 0.0123`, or `p < 0.0001` (never `p = < 0.0001`).
pub fn p_is(p: f64) -> String {
    let text = p_value(p);
    if text.starts_with('<') {
        format!("p {text}")
    } else {
        format!("p = {text}")
    }
}

/// `a / b`, 0 when `b` is 0 (a share of nobody).
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn sign(x: f64) -> &'static str {
    if x < 0.0 {
        "−"
    } else {
        "+"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(value(Kind::Proportion, 0.201), "20.1%");
        assert_eq!(value(Kind::Mean, 12.345), "12.35");
        assert_eq!(signed_percent(0.117), "+11.7%");
        assert_eq!(signed_percent(-0.042), "−4.2%");
        assert_eq!(signed(Kind::Mean, -1.5), "−1.50");
        assert_eq!(p_value(0.00001), "< 0.0001");
        assert_eq!(p_value(0.0432), "0.0432");
        assert_eq!((p_is(0.00001).as_str(), p_is(0.0432).as_str()), ("p < 0.0001", "p = 0.0432"));
        assert_eq!(percent(0.996), "99.6%");
    }
}
