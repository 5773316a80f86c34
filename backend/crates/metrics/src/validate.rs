//! Name and value rules from the EMF specification and the CloudWatch API.
//!
//! EMF silently drops a document CloudWatch cannot extract, so every rule is checked
//! when the entry is recorded, where the caller can still see and fix it.

use crate::error::Rule;

/// CloudWatch `MetricDatum.MetricName` and `PutMetricData.Namespace`: 1 to 255 characters.
pub(crate) const MAX_NAME_CHARS: usize = 255;
/// The EMF JSON schema's `DimensionReference` allows 250 characters (CloudWatch's API allows
/// 255; the stricter limit wins, or the document would be rejected).
pub(crate) const MAX_DIMENSION_NAME_CHARS: usize = 250;
/// EMF: a dimension target "MUST NOT contain more than 1024 characters".
pub(crate) const MAX_DIMENSION_VALUE_CHARS: usize = 1024;

const AWS_MEMBER: &str = "_aws";
const RESERVED_NAMESPACE_PREFIX: &str = "AWS/";

pub(crate) fn namespace(namespace: &str) -> Result<(), Rule> {
    non_empty(namespace)?;
    at_most(namespace, MAX_NAME_CHARS)?;
    no_control(namespace)?;
    ascii(namespace)?;
    not_blank(namespace)?;
    if namespace.starts_with(RESERVED_NAMESPACE_PREFIX) {
        return Err(Rule::ReservedNamespacePrefix);
    }
    Ok(())
}

pub(crate) fn metric_name(name: &str) -> Result<(), Rule> {
    non_empty(name)?;
    not_aws(name)?;
    at_most(name, MAX_NAME_CHARS)?;
    no_control(name)?;
    not_blank(name)
}

pub(crate) fn dimension_name(name: &str) -> Result<(), Rule> {
    non_empty(name)?;
    not_aws(name)?;
    at_most(name, MAX_DIMENSION_NAME_CHARS)?;
    no_control(name)?;
    ascii(name)?;
    not_blank(name)?;
    if name.starts_with(':') {
        return Err(Rule::LeadingColon);
    }
    Ok(())
}

pub(crate) fn dimension_value(value: &str) -> Result<(), Rule> {
    non_empty(value)?;
    at_most(value, MAX_DIMENSION_VALUE_CHARS)?;
    no_control(value)?;
    ascii(value)?;
    not_blank(value)
}

/// Metadata is an ordinary root member: any JSON key except the EMF one.
pub(crate) fn metadata_key(key: &str) -> Result<(), Rule> {
    non_empty(key)?;
    not_aws(key)
}

fn non_empty(text: &str) -> Result<(), Rule> {
    if text.is_empty() {
        Err(Rule::Empty)
    } else {
        Ok(())
    }
}

fn not_aws(text: &str) -> Result<(), Rule> {
    if text == AWS_MEMBER {
        Err(Rule::ReservedAws)
    } else {
        Ok(())
    }
}

fn at_most(text: &str, max_chars: usize) -> Result<(), Rule> {
    // Byte length bounds the character count, so most names skip the count.
    if text.len() > max_chars && text.chars().count() > max_chars {
        Err(Rule::TooLong { max_chars })
    } else {
        Ok(())
    }
}

fn no_control(text: &str) -> Result<(), Rule> {
    if text.chars().any(char::is_control) {
        Err(Rule::ControlCharacter)
    } else {
        Ok(())
    }
}

fn ascii(text: &str) -> Result<(), Rule> {
    if text.is_ascii() {
        Ok(())
    } else {
        Err(Rule::NonAscii)
    }
}

fn not_blank(text: &str) -> Result<(), Rule> {
    if text.chars().all(char::is_whitespace) {
        Err(Rule::Blank)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        assert_eq!(metric_name("OrdersPlaced"), Ok(()));
        assert_eq!(metric_name("Größe"), Ok(()), "metric names may be Unicode");
        assert_eq!(
            metric_name(&"é".repeat(255)),
            Ok(()),
            "255 characters, 510 bytes"
        );
        assert_eq!(metric_name(""), Err(Rule::Empty));
        assert_eq!(metric_name("_aws"), Err(Rule::ReservedAws));
        assert_eq!(
            metric_name(&"m".repeat(256)),
            Err(Rule::TooLong { max_chars: 255 })
        );
        assert_eq!(metric_name("a\nb"), Err(Rule::ControlCharacter));
        assert_eq!(metric_name("   "), Err(Rule::Blank));
    }

    #[test]
    fn dimension_names() {
        assert_eq!(dimension_name("environment"), Ok(()));
        assert_eq!(dimension_name(&"d".repeat(250)), Ok(()));
        assert_eq!(
            dimension_name(&"d".repeat(251)),
            Err(Rule::TooLong { max_chars: 250 })
        );
        assert_eq!(dimension_name(""), Err(Rule::Empty));
        assert_eq!(dimension_name("_aws"), Err(Rule::ReservedAws));
        assert_eq!(dimension_name("tab\there"), Err(Rule::ControlCharacter));
        assert_eq!(dimension_name("région"), Err(Rule::NonAscii));
        assert_eq!(dimension_name(" "), Err(Rule::Blank));
        assert_eq!(dimension_name(":env"), Err(Rule::LeadingColon));
    }

    #[test]
    fn dimension_values() {
        assert_eq!(dimension_value("eu-west-1"), Ok(()));
        assert_eq!(dimension_value(&"v".repeat(1024)), Ok(()));
        assert_eq!(
            dimension_value(&"v".repeat(1025)),
            Err(Rule::TooLong { max_chars: 1024 })
        );
        assert_eq!(dimension_value(""), Err(Rule::Empty));
        assert_eq!(dimension_value("a\u{7f}"), Err(Rule::ControlCharacter));
        assert_eq!(dimension_value("Zürich"), Err(Rule::NonAscii));
        assert_eq!(dimension_value("\t"), Err(Rule::ControlCharacter));
        assert_eq!(dimension_value("  "), Err(Rule::Blank));
    }

    #[test]
    fn namespaces() {
        assert_eq!(namespace("Ferrule/Orders"), Ok(()));
        assert_eq!(namespace(""), Err(Rule::Empty));
        assert_eq!(
            namespace(&"n".repeat(256)),
            Err(Rule::TooLong { max_chars: 255 })
        );
        assert_eq!(namespace("a\rb"), Err(Rule::ControlCharacter));
        assert_eq!(namespace("Bestellungen/Größe"), Err(Rule::NonAscii));
        assert_eq!(namespace(" "), Err(Rule::Blank));
        assert_eq!(namespace("AWS/Lambda"), Err(Rule::ReservedNamespacePrefix));
    }

    #[test]
    fn metadata_keys() {
        assert_eq!(metadata_key("requestId"), Ok(()));
        assert_eq!(metadata_key(""), Err(Rule::Empty));
        assert_eq!(metadata_key("_aws"), Err(Rule::ReservedAws));
    }
}
