//! Customers: who may sign up, and the profile created when they confirm.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use ferrule_errors::{Classify, ErrorKind};

use crate::error::ValidationError;
use crate::ids::CustomerId;
use crate::time::Timestamp;

/// The longest display name kept in a profile.
pub const MAX_NAME_CHARS: usize = 256;

/// An e-mail address, checked for the shape `local@domain.tld` (the mailbox itself is
/// Cognito's business). The domain part is kept in lower case. Messages never repeat the
/// address: it is personal data.
///
/// ```
/// let email = orders_domain::Email::parse("Grace@Example.COM")?;
/// assert_eq!(email.as_str(), "Grace@example.com");
/// assert_eq!(email.domain(), "example.com");
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and checks the shape; trims surrounding spaces.
    pub fn parse(text: &str) -> Result<Email, ValidationError> {
        let invalid = |reason: &str| ValidationError::new("email", reason.to_owned());
        let text = text.trim();
        if text.len() > 254 {
            return Err(invalid("must be at most 254 characters"));
        }
        let (local, domain) = text
            .rsplit_once('@')
            .ok_or_else(|| invalid("must look like name@example.com"))?;
        if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("has an empty or invalid part before '@'"));
        }
        let domain = domain.to_ascii_lowercase();
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(invalid("has an invalid domain after '@'"));
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    /// The address, domain in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, lower case.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: only the domain appears in logs.
        write!(f, "Email(***@{})", self.domain())
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a sign-up is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignUpError {
    /// The address is not an e-mail address.
    #[error(transparent)]
    InvalidEmail(#[from] ValidationError),
    /// The domain is not on the allow-list.
    #[error("sign-up is not open to e-mail addresses at {domain}")]
    DomainNotAllowed { domain: String },
}

impl Classify for SignUpError {
    fn kind(&self) -> ErrorKind {
        match self {
            SignUpError::InvalidEmail(_) => ErrorKind::Validation,
            SignUpError::DomainNotAllowed { .. } => ErrorKind::Forbidden,
        }
    }
}

/// The e-mail domains that may sign up (Cognito PreSignUp). Exact, case-insensitive
/// matches: `example.com` does not admit `mail.example.com`.
///
/// ```
/// use orders_domain::SignUpPolicy;
///
/// // The SSM parameter holds a comma-separated list.
/// let policy = SignUpPolicy::parse("example.com, Example.org")?;
/// assert!(policy.check("ada@EXAMPLE.org").is_ok());
/// assert!(policy.check("eve@evil.example").is_err());
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUpPolicy {
    allowed: Vec<String>,
}

impl SignUpPolicy {
    /// From a comma-separated list; an empty list is refused (it would lock everyone out,
    /// which is more likely a missing parameter than a decision).
    pub fn parse(list: &str) -> Result<SignUpPolicy, ValidationError> {
        let mut allowed = Vec::new();
        for domain in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            // A domain is valid when an address at it is.
            let email = Email::parse(&format!("x@{domain}")).map_err(|_| {
                ValidationError::new(
                    "allowedDomains",
                    format!(
                        "`{}` is not a domain name",
                        domain.chars().take(64).collect::<String>()
                    ),
                )
            })?;
            allowed.push(email.domain().to_owned());
        }
        if allowed.is_empty() {
            return Err(ValidationError::new(
                "allowedDomains",
                "must name at least one domain",
            ));
        }
        allowed.sort();
        allowed.dedup();
        Ok(SignUpPolicy { allowed })
    }

    /// The domains, lower case, sorted.
    pub fn allowed(&self) -> &[String] {
        &self.allowed
    }

    /// Whether `email` may sign up; returns the parsed address.
    pub fn check(&self, email: &str) -> Result<Email, SignUpError> {
        let email = Email::parse(email)?;
        if self
            .allowed
            .binary_search_by(|d| d.as_str().cmp(email.domain()))
            .is_err()
        {
            return Err(SignUpError::DomainNotAllowed {
                domain: email.domain().to_owned(),
            });
        }
        Ok(email)
    }
}

/// The profile created when a customer confirms the sign-up (Cognito PostConfirmation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerProfile {
    customer_id: CustomerId,
    email: Email,
    name: Option<String>,
    created_at: Timestamp,
}

impl CustomerProfile {
    /// A profile; a blank name is dropped, a name over [`MAX_NAME_CHARS`] refused.
    ///
    /// ```
    /// use orders_domain::{CustomerId, CustomerProfile, Email, Timestamp};
    ///
    /// let profile = CustomerProfile::new(
    ///     CustomerId::parse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")?,
    ///     Email::parse("grace@example.com")?,
    ///     Some(" Grace Hopper "),
    ///     Timestamp::parse("2026-11-26T08:00:00Z")?,
    /// )?;
    /// assert_eq!(profile.name(), Some("Grace Hopper"));
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    pub fn new(
        customer_id: CustomerId,
        email: Email,
        name: Option<&str>,
        created_at: Timestamp,
    ) -> Result<CustomerProfile, ValidationError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if let Some(name) = name {
            let chars = name.chars().count();
            if chars > MAX_NAME_CHARS {
                return Err(ValidationError::new(
                    "name",
                    format!("must be at most {MAX_NAME_CHARS} characters (got {chars})"),
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(ValidationError::new(
                    "name",
                    "must not contain control characters",
                ));
            }
        }
        Ok(CustomerProfile {
            customer_id,
            email,
            name: name.map(str::to_owned),
            created_at,
        })
    }

    /// The Cognito `sub`.
    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// The confirmed e-mail address.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// The display name, if one was given.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// When the profile was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            Email::parse(" ada@Mail.Example.com ").unwrap().as_str(),
            "ada@mail.example.com"
        );
        assert_eq!(
            Email::parse("a@b@example.com").unwrap().domain(),
            "example.com"
        );
        for (bad, reason) in [
            ("ada", "name@example.com"),
            ("@example.com", "before '@'"),
            ("a da@example.com", "before '@'"),
            ("ada@localhost", "domain"),
            ("ada@exa_mple.com", "domain"),
            ("ada@.example.com", "domain"),
            ("ada@-example.com", "domain"),
            ("ada@example-.com", "domain"),
        ] {
            let error = Email::parse(bad).unwrap_err();
            assert_eq!(error.field(), "email");
            assert!(error.reason().contains(reason), "{bad}: {error}");
            assert!(
                !error.to_string().contains(bad),
                "the address is not repeated"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().reason().contains("254"));
    }

    #[test]
    fn email_debug_hides_the_mailbox() {
        let email = Email::parse("grace@example.com").unwrap();
        assert_eq!(format!("{email:?}"), "Email(***@example.com)");
        let json = serde_json::to_string(&email).unwrap();
        assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), email);
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn policy_admits_listed_domains_only_case_insensitively() {
        let policy = SignUpPolicy::parse(" example.com ,EXAMPLE.org,, example.com").unwrap();
        assert_eq!(policy.allowed(), ["example.com", "example.org"]);
        assert_eq!(
            policy.check("Grace@Example.com").unwrap().domain(),
            "example.com"
        );
        let error = policy.check("ada@mail.example.com").unwrap_err();
        assert_eq!(
            error,
            SignUpError::DomainNotAllowed {
                domain: "mail.example.com".into()
            }
        );
        assert_eq!(error.kind(), ErrorKind::Forbidden);
        assert_eq!(
            error.to_string(),
            "sign-up is not open to e-mail addresses at mail.example.com"
        );
        let invalid = policy.check("not-an-email").unwrap_err();
        assert_eq!(invalid.kind(), ErrorKind::Validation);
    }

    #[test]
    fn policy_refuses_empty_lists_and_bad_domains() {
        for empty in ["", " , ,"] {
            let error = SignUpPolicy::parse(empty).unwrap_err();
            assert_eq!(error.field(), "allowedDomains");
            assert!(error.reason().contains("at least one"), "{error}");
        }
        let error = SignUpPolicy::parse("example.com, not a domain").unwrap_err();
        assert!(error.reason().contains("`not a domain`"), "{error}");
    }

    #[test]
    fn profile_trims_the_name_and_bounds_it() {
        let id = CustomerId::parse("c-1").unwrap();
        let email = Email::parse("grace@example.com").unwrap();
        let at = Timestamp::parse("2026-11-26T08:00:00Z").unwrap();
        let blank = CustomerProfile::new(id.clone(), email.clone(), Some("  "), at).unwrap();
        assert_eq!(blank.name(), None);
        assert_eq!(blank.customer_id(), &id);
        assert_eq!(blank.email(), &email);
        assert_eq!(blank.created_at(), at);
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let error = CustomerProfile::new(id.clone(), email.clone(), Some(&long), at).unwrap_err();
        assert_eq!(error.field(), "name");
        let control = CustomerProfile::new(id.clone(), email.clone(), Some("a\u{7}b"), at);
        assert!(control.is_err());
        let named = CustomerProfile::new(id, email, Some("Grace"), at).unwrap();
        assert_eq!(named.name(), Some("Grace"));
    }
}
