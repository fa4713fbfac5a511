//! Text enums: values stored, sent and written as fixed snake_case names (a status, a role, an
//! event type), each declared with [`named!`]: `strum` derives the names (`EnumString`,
//! `IntoStaticStr`, `Display`, `EnumIter`), and a name that does not parse is an [`UnknownName`]
//! saying what was expected. The database side (`ToSql`/`FromSql`) is in
//! `crate::db::models::enums`.

use strum::IntoEnumIterator;

/// A text enum: every value has one name, and parsing accepts exactly those names.
pub trait Named: Copy + IntoEnumIterator + Into<&'static str> + 'static {
    /// What a value is called in messages, e.g. `key role`.
    const WHAT: &'static str;
}

/// A text that names no value of a text enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?} ({allowed})")]
pub struct UnknownName {
    /// What was expected, e.g. `status`.
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// The accepted names, e.g. `draft, running, paused or stopped`.
    pub allowed: String,
}

/// The error for `given`, which is not a name of `E` (strum's `parse_err_fn`).
pub fn unknown<E: Named>(given: &str) -> UnknownName {
    let names: Vec<&'static str> = E::iter().map(Into::into).collect();
    let allowed = match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    UnknownName { what: E::WHAT, given: given.to_string(), allowed }
}

/// Declares a text enum: the enum with its `strum` derives (snake_case names, parse errors as
/// [`UnknownName`]) and `Debug, Clone, Copy, PartialEq, Eq, Hash`, its [`Named`] impl, and an
/// `as_str()` for callers that need the `&'static str`. Other attributes (docs, serde, clap,
/// utoipa) are written before `pub enum` as usual; `("…")` after the name is [`Named::WHAT`].
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[derive(strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumIter)]
        #[strum(
            serialize_all = "snake_case",
            parse_err_ty = crate::domain::named::UnknownName,
            parse_err_fn = crate::domain::named::unknown::<Self>
        )]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)*
        }

        impl crate::domain::named::Named for $name {
            const WHAT: &'static str = $what;
        }

        impl $name {
            /// The name, as stored and sent (the same text as `Display`).
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}
pub(crate) use named;

/// Checks for the enums `named!` declares (used by their modules' tests).
#[cfg(test)]
pub(crate) mod tests {
    use super::{Named, UnknownName};
    use crate::domain::{experiment::Status, key::KeyRole, password::UserRole};

    /// Every value of `E` round-trips through its name, and `not_a_name` does not parse, with the
    /// error `message`.
    pub(crate) fn assert_round_trips<E>(not_a_name: &str, message: &str)
    where
        E: Named + std::fmt::Debug + PartialEq + std::fmt::Display + std::str::FromStr<Err = UnknownName>,
    {
        for value in E::iter() {
            let name: &'static str = value.into();
            assert_eq!(name.parse::<E>(), Ok(value), "{name}");
            assert_eq!(value.to_string(), name);
        }
        let err = not_a_name.parse::<E>().unwrap_err();
        assert_eq!((err.what, err.given.as_str()), (E::WHAT, not_a_name));
        assert_eq!(err.to_string(), message);
    }

    #[test]
    fn every_text_enum_round_trips_and_says_what_it_expects() {
        assert_round_trips::<Status>("live", r#"unknown status "live" (draft, running, paused, stopped or shipped)"#);
        assert_round_trips::<KeyRole>("viewer", r#"unknown key role "viewer" (storefront or admin)"#);
        assert_round_trips::<UserRole>("owner", r#"unknown user role "owner" (admin, editor or viewer)"#);
        assert_eq!(Status::Running.as_str(), "running");
        assert_eq!(format!("{:<10}|", KeyRole::Admin), "admin     |", "Display pads, as the CLI's table needs");
    }
}
