//! API keys: random bearer tokens, stored only as a SHA-256 digest.
//!
//! A token is high-entropy (256 random bits), so a fast digest is the right hash: it can be checked
//! on every storefront request, unlike a password hash, and cannot be brute-forced.

use super::named::named;
use rand::RngCore;
use sha2::{Digest, Sha256};

named! {
    /// What a key may do.
    #[derive(serde::Serialize, serde::Deserialize, clap::ValueEnum)]
    #[serde(rename_all = "snake_case")]
    pub enum KeyRole ("key role") {
        /// Assignments and events only.
        Storefront,
        /// Everything, including the management API.
        Admin,
    }
}

/// A freshly generated token: shown once, then only its digest is kept.
#[derive(Debug)]
pub struct NewToken {
    /// The secret, e.g. `slk_sf_3q…`.
    pub token: String,
    /// Its first characters, safe to display.
    pub prefix: String,
    /// SHA-256 of the token, hex.
    pub hash: String,
}

/// Generates a token for a role.
pub fn generate(role: KeyRole) -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let tag = match role {
        KeyRole::Storefront => "sf",
        KeyRole::Admin => "ad",
    };
    let token = format!("slk_{tag}_{}", hex::encode(bytes));
    let prefix = token[..PREFIX_LEN].to_string();
    let hash = hash(&token);
    NewToken { token, prefix, hash }
}

/// Length of a token's displayable prefix, which also finds its key.
pub const PREFIX_LEN: usize = 14;

/// A token's prefix (`None` when it is too short to be a token).
pub fn prefix(token: &str) -> Option<&str> {
    token.get(..PREFIX_LEN)
}

/// Whether two digests are equal, compared in constant time (no early exit on the first
/// differing byte).
pub fn digests_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The stored digest of a token.
pub fn hash(token: &str) -> String {
    hex::encode(digest(token))
}

/// A token's SHA-256 digest as raw bytes (what the in-memory key table compares, so that a request
/// pays for no hex encoding).
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The raw digest of a stored (hex) digest; `None` when it is not 64 hex digits.
pub fn decode_digest(stored: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(stored, &mut out).ok()?;
    Some(out)
}

/// Whether two raw digests are equal, compared in constant time.
pub fn raw_digests_match(a: &[u8; 32], b: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_digests_are_the_stored_ones_decoded() {
        let t = generate(KeyRole::Admin);
        let stored = decode_digest(&t.hash).unwrap();
        assert!(raw_digests_match(&stored, &digest(&t.token)));
        assert!(!raw_digests_match(&stored, &digest("slk_ad_other")));
        assert_eq!(decode_digest("not hex"), None);
    }

    #[test]
    fn tokens_are_unique_and_hash_to_their_digest() {
        let a = generate(KeyRole::Storefront);
        let b = generate(KeyRole::Storefront);
        assert_ne!(a.token, b.token);
        assert!(a.token.starts_with("slk_sf_"));
        assert_eq!(a.token.len(), 7 + 64);
        assert_eq!(a.hash, hash(&a.token));
        assert_ne!(a.hash, b.hash);
        assert!(a.token.starts_with(&a.prefix));
        assert!(generate(KeyRole::Admin).token.starts_with("slk_ad_"));
    }

    #[test]
    fn tokens_are_found_by_prefix_and_matched_by_digest() {
        let a = generate(KeyRole::Storefront);
        assert_eq!(prefix(&a.token), Some(a.prefix.as_str()));
        assert_eq!(prefix("slk_sf_"), None);
        assert!(digests_match(&a.hash, &hash(&a.token)));
        // Same prefix, different secret: the digests differ.
        let forged = format!("{}{}", a.prefix, "0".repeat(a.token.len() - PREFIX_LEN));
        assert!(!digests_match(&a.hash, &hash(&forged)));
        assert!(!digests_match(&a.hash, &a.hash[..10]));
    }

    #[test]
    fn roles_parse() {
        assert_eq!("admin".parse::<KeyRole>(), Ok(KeyRole::Admin));
        assert!("viewer".parse::<KeyRole>().is_err());
    }
}
