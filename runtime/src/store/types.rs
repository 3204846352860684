//! Column types the `Any` driver lacks, so that the same repositories read
//! and write SQLite and PostgreSQL: JSON kept as text, booleans that SQLite
//! stores as integers, and numbered placeholders for statements built at
//! run time.

use std::fmt::Write as _;
use std::ops::{Deref, DerefMut};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::any::{AnyTypeInfo, AnyTypeInfoKind};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type, ValueRef};

/// A value stored as JSON text (a `TEXT` column in both dialects);
/// serialises as the value itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Serialize> Serialize for Json<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Json<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Json)
    }
}

impl<T> Type<Any> for Json<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q, T: Serialize> Encode<'q, Any> for Json<T> {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(serde_json::to_string(&self.0)?, buf)
    }
}

impl<'r, T: DeserializeOwned> Decode<'r, Any> for Json<T> {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Any>>::decode(value)?;
        Ok(Json(serde_json::from_str(text)?))
    }
}

/// A boolean column: PostgreSQL answers `BOOLEAN`, SQLite an integer 0/1,
/// and `EXISTS (…)` an integer in SQLite too. Read into `bool` fields with
/// `#[sqlx(try_from = "Flag")]`; bind plain `bool`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        matches!(
            ty.kind,
            AnyTypeInfoKind::Bool
                | AnyTypeInfoKind::SmallInt
                | AnyTypeInfoKind::Integer
                | AnyTypeInfoKind::BigInt
        )
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.type_info().kind == AnyTypeInfoKind::Bool {
            <bool as Decode<'r, Any>>::decode(value).map(Flag)
        } else {
            <i64 as Decode<'r, Any>>::decode(value).map(|i| Flag(i != 0))
        }
    }
}

/// A nullable boolean column, as [`Flag`]: read into `Option<bool>` fields
/// with `#[sqlx(try_from = "MaybeFlag")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeFlag(pub Option<bool>);

impl From<MaybeFlag> for Option<bool> {
    fn from(flag: MaybeFlag) -> Option<bool> {
        flag.0
    }
}

impl Type<Any> for MaybeFlag {
    fn type_info() -> AnyTypeInfo {
        Flag::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        Flag::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for MaybeFlag {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.is_null() {
            Ok(MaybeFlag(None))
        } else {
            Flag::decode(value).map(|f| MaybeFlag(Some(f.0)))
        }
    }
}

/// Placeholders for statements assembled at run time: numbered (`$1`,
/// `$2` …, which both dialects accept; sqlx's `QueryBuilder` writes `?` for
/// the `Any` driver, which PostgreSQL refuses), or plain `?` for SQLite
/// when a statement has many: SQLite looks a named parameter up in a list,
/// so binding n numbered ones costs n² (a 1,200-parameter insert of the
/// request log spent a fifth of a busy server's time there).
#[derive(Debug, Default)]
pub struct Placeholders {
    next: usize,
    anonymous: bool,
}

impl Placeholders {
    /// Placeholders in the cheapest form `dialect` accepts.
    pub fn for_dialect(dialect: super::Dialect) -> Self {
        Self {
            next: 0,
            anonymous: dialect == super::Dialect::Sqlite,
        }
    }

    /// The next placeholder, `$1` (or `?`) first.
    pub fn mark(&mut self) -> String {
        self.next += 1;
        if self.anonymous {
            "?".into()
        } else {
            format!("${}", self.next)
        }
    }

    /// `($a, $b, …)` with `columns` placeholders, for one row of a
    /// multi-row `VALUES`.
    pub fn row(&mut self, columns: usize) -> String {
        let mut out = String::from("(");
        for i in 0..columns {
            if i > 0 {
                out.push_str(", ");
            }
            self.next += 1;
            if self.anonymous {
                out.push('?');
            } else {
                let _ = write!(out, "${}", self.next);
            }
        }
        out.push(')');
        out
    }
}
