//! [`Sensitive<T>`]: a value that can be read on purpose but never printed by accident.
//!
//! Secrets and configuration crates wrap passwords, API keys and tokens in
//! `Sensitive`, so a stray `{:?}`, a `tracing` field or a `serde_json::to_string`
//! of the whole configuration writes [`REDACTED`] (`***`) instead of the secret.
//! Reading the value takes an explicit [`Sensitive::expose`] or
//! [`Sensitive::into_inner`], which is easy to spot in review.
//!
//! Deserialising is transparent, so a secret stored as JSON loads straight into
//! `Sensitive<String>` fields:
//!
//! ```
//! use ferrule_sensitive::Sensitive;
//!
//! #[derive(Debug, serde::Deserialize, serde::Serialize)]
//! struct DbCredentials {
//!     username: String,
//!     password: Sensitive<String>,
//! }
//!
//! let credentials: DbCredentials =
//!     serde_json::from_str(r#"{"username":"app","password":"hunter2"}"#).unwrap();
//!
//! assert_eq!(credentials.password.expose(), "hunter2");
//! assert_eq!(
//!     format!("{credentials:?}"),
//!     r#"DbCredentials { username: "app", password: *** }"#
//! );
//! assert_eq!(
//!     serde_json::to_string(&credentials).unwrap(),
//!     r#"{"username":"app","password":"***"}"#
//! );
//! ```
//!
//! The crate depends on `serde` only, so any crate can use it without pulling in
//! the logger.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What `Debug`, `Display` and `Serialize` write in place of a sensitive value.
pub const REDACTED: &str = "***";

/// A value whose `Debug`, `Display` and `Serialize` write [`REDACTED`] instead of it.
///
/// `Deserialize` is transparent (it reads a plain `T`); [`expose`](Sensitive::expose)
/// and [`into_inner`](Sensitive::into_inner) are the only ways to read the value.
/// `Clone`, `PartialEq`, `Eq` and `Default` are available when `T` has them.
///
/// ```
/// use ferrule_sensitive::Sensitive;
///
/// let api_key = Sensitive::from(String::from("sk-live-123"));
/// assert_eq!(format!("{api_key}"), "***");
/// assert_eq!(format!("{api_key:?}"), "***");
/// assert_eq!(api_key.expose(), "sk-live-123");
/// assert_eq!(api_key.into_inner(), "sk-live-123");
/// ```
// No Deref on purpose: `*secret` or method auto-deref would read the value
// without a visible `expose()` at the call site.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps `value`.
    ///
    /// ```
    /// let token = ferrule_sensitive::Sensitive::new("t0k3n");
    /// assert_eq!(*token.expose(), "t0k3n");
    /// ```
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrows the value, for the one place that really needs it.
    ///
    /// ```
    /// let password = ferrule_sensitive::Sensitive::new(String::from("hunter2"));
    /// let header = format!("Basic {}", password.expose());
    /// assert_eq!(header, "Basic hunter2");
    /// ```
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    ///
    /// ```
    /// let pin = ferrule_sensitive::Sensitive::new(1234_u16);
    /// assert_eq!(pin.into_inner(), 1234);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> Serialize for Sensitive<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "correct-horse-battery-staple";

    #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
    struct Credentials {
        username: String,
        password: Sensitive<String>,
        #[serde(default)]
        pin: Option<Sensitive<u32>>,
    }

    fn credentials() -> Credentials {
        Credentials {
            username: "app".into(),
            password: Sensitive::from(SECRET.to_owned()),
            pin: Some(Sensitive::new(4321)),
        }
    }

    #[test]
    fn debug_never_reveals_the_value() {
        let secret = Sensitive::new(SECRET.to_owned());
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        let debug = format!("{:?}", credentials());
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(!debug.contains("4321"), "{debug}");
        assert_eq!(
            debug,
            r#"Credentials { username: "app", password: ***, pin: Some(***) }"#
        );
    }

    #[test]
    fn display_never_reveals_the_value() {
        let secret = Sensitive::new(SECRET.to_owned());
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(secret.to_string(), REDACTED);
        // Width and alignment flags do not leak the value's length either.
        assert_eq!(format!("{secret:>40}"), "***");
    }

    #[test]
    fn serialize_never_reveals_the_value() {
        let json = serde_json::to_string(&credentials()).unwrap();
        assert!(!json.contains(SECRET), "{json}");
        assert_eq!(json, r#"{"username":"app","password":"***","pin":"***"}"#);
        let bare = serde_json::to_value(Sensitive::new(vec![1, 2, 3])).unwrap();
        assert_eq!(bare, serde_json::json!("***"));
    }

    #[test]
    fn deserialize_is_transparent() {
        let parsed: Credentials = serde_json::from_str(&format!(
            r#"{{"username":"app","password":"{SECRET}","pin":4321}}"#
        ))
        .unwrap();
        assert_eq!(parsed, credentials());
        assert_eq!(parsed.password.expose(), SECRET);
        assert_eq!(parsed.pin.map(Sensitive::into_inner), Some(4321));
    }

    #[test]
    fn deserialize_reports_the_inner_type_error() {
        let error = serde_json::from_str::<Sensitive<u32>>(r#""not a number""#).unwrap_err();
        assert!(error.to_string().contains("expected u32"), "{error}");
    }

    #[test]
    fn expose_and_into_inner_return_the_value() {
        let secret = Sensitive::from(SECRET.to_owned());
        assert_eq!(secret.expose(), SECRET);
        assert_eq!(secret.into_inner(), SECRET);
    }

    #[test]
    fn clone_and_eq_compare_the_values() {
        let a = Sensitive::new(String::from("a"));
        assert_eq!(a.clone(), a);
        assert_ne!(a, Sensitive::new(String::from("b")));
        assert_eq!(Sensitive::<String>::default().expose(), "");
    }
}
