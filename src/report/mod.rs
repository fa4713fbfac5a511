//! Renderings of an [`crate::analysis::Report`]: CSV, plain text, and the HTML page with its
//! server-rendered SVG charts. All of them show the numbers of the same report value.

pub mod csv;
pub mod html;
pub mod programme;
pub mod svg;
pub mod text;

#[cfg(test)]
mod tests;
