//! UI user passwords and roles: argon2id hashes in PHC string form.

use super::named::named;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;

named! {
    /// A UI user's role.
    #[derive(serde::Serialize, serde::Deserialize, clap::ValueEnum)]
    #[serde(rename_all = "snake_case")]
    pub enum UserRole ("user role") {
        /// Everything: users, keys, experiments.
        Admin,
        /// Experiments.
        Editor,
        /// Read only.
        Viewer,
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches a stored hash (false for a malformed hash).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random password of 20 letters and digits (about 119 bits).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Checks a chosen password; the error says what is wrong.
pub fn validate(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!("the password must have at least {MIN_LENGTH} characters"));
    }
    Ok(())
}

/// Normalises and checks an e-mail address (lower case, one `@` with text on both sides).
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((user, domain)) if !user.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(format!("{email:?} is not an e-mail address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn generated_passwords_are_valid_and_differ() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(validate(&a).is_ok());
        assert!(validate("short").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" Ana@Shop.JP ").unwrap(), "ana@shop.jp");
        for bad in ["", "ana", "@shop", "ana@", "a b@c", "a@b@c"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
