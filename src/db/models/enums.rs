//! The domain's text enums as `TEXT` columns, so that row structs hold them instead of strings.
//!
//! The enums live in the pure core, which knows nothing of diesel; this crate may still implement
//! diesel's traits for them here (the orphan rule allows it within one crate). Diesel's derives
//! (`AsExpression`, `FromSqlRow`) would have to sit on the enum itself, so [`text_column!`] writes
//! what they would generate with public APIs only: `ToSql`/`FromSql` through the enum's name,
//! `Queryable` for selecting it, and `AsExpression` for comparing and inserting it. A stored text
//! that names no value fails the row with a deserialisation error that says what was expected:
//! it is never skipped or replaced by a default.

use crate::domain::experiment::Status;
use crate::domain::key::KeyRole;
use crate::domain::notice::EventType as NoticeType;
use crate::domain::password::UserRole;
use crate::domain::webhook::Format;
use crate::events::EventType;

/// Implements the `TEXT` column traits for text enums (`crate::domain::named::Named`).
macro_rules! text_column {
    ($($ty:ty),* $(,)?) => {$(
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = std::str::from_utf8(value.as_bytes())?;
                text.parse::<$ty>().map_err(|e| format!("{e} in the database").into())
            }
        }

        impl diesel::deserialize::Queryable<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            type Row = Self;
            fn build(row: Self) -> diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl diesel::expression::AsExpression<diesel::sql_types::Text> for $ty {
            type Expression = <&'static str as diesel::expression::AsExpression<diesel::sql_types::Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                diesel::expression::AsExpression::<diesel::sql_types::Text>::as_expression(self.as_str())
            }
        }

        impl diesel::expression::AsExpression<diesel::sql_types::Text> for &$ty {
            type Expression = <$ty as diesel::expression::AsExpression<diesel::sql_types::Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                diesel::expression::AsExpression::<diesel::sql_types::Text>::as_expression(*self)
            }
        }
    )*};
}

text_column!(Status, KeyRole, UserRole, EventType, NoticeType, Format);
