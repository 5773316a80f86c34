//! A validated text newtype: parsed once (`parse`, `FromStr`, serde), then trusted.
//! One macro for every such type, so ids and codes behave the same.

macro_rules! validated_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The most characters accepted.
            pub const MAX_CHARS: usize = $max;

            /// Parses and validates the text.
            pub fn parse(text: &str) -> Result<$name, ValidationError> {
                $check($field, text, $max)?;
                Ok($name(text.to_owned()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
