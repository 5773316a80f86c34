//! The caller as the API Gateway JWT authorizer describes it, and route requirements.

use std::collections::HashMap;

use crate::error::HttpError;

/// The verified caller: the claims the HTTP API JWT authorizer put in
/// `requestContext.authorizer.jwt`.
///
/// API Gateway has already checked the token's signature, issuer, audience and expiry;
/// this type only reads what it says. Every claim value is a string, as API Gateway
/// passes them; array claims such as `cognito:groups` arrive as `"[admin editors]"` and
/// are split into [`groups`](Self::groups).
///
/// ```
/// use std::collections::HashMap;
/// use ferrule_http::Principal;
///
/// let claims = HashMap::from([
///     ("sub".to_owned(), "1a2b".to_owned()),
///     ("email".to_owned(), "grace@example.com".to_owned()),
///     ("cognito:groups".to_owned(), "[admin editors]".to_owned()),
/// ]);
/// let principal = Principal::from_claims(claims, None).unwrap();
/// assert_eq!(principal.subject, "1a2b");
/// assert!(principal.in_group("editors"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// `sub`: the stable user id.
    pub subject: String,
    /// `email`, when the token carries it (Cognito ID tokens do).
    pub email: Option<String>,
    /// `cognito:username` (ID tokens) or `username` (access tokens).
    pub username: Option<String>,
    /// `cognito:groups`, split into names.
    pub groups: Vec<String>,
    /// OAuth scopes: the authorizer's `scopes`, else the `scope` claim split on spaces.
    pub scopes: Vec<String>,
    /// Every claim, as API Gateway passed it.
    pub claims: HashMap<String, String>,
}

impl Principal {
    /// Reads a principal from authorizer claims and scopes; `None` without a `sub`.
    pub fn from_claims(
        claims: HashMap<String, String>,
        scopes: Option<Vec<String>>,
    ) -> Option<Principal> {
        let subject = claims.get("sub").filter(|sub| !sub.is_empty())?.clone();
        let email = claims.get("email").cloned();
        let username = claims
            .get("cognito:username")
            .or_else(|| claims.get("username"))
            .cloned();
        let groups = claims
            .get("cognito:groups")
            .map(|raw| parse_list_claim(raw))
            .unwrap_or_default();
        let scopes = match scopes {
            Some(scopes) if !scopes.is_empty() => scopes,
            _ => claims
                .get("scope")
                .map(|raw| raw.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        };
        Some(Principal {
            subject,
            email,
            username,
            groups,
            scopes,
            claims,
        })
    }

    /// Whether `cognito:groups` contains `group`.
    ///
    /// ```
    /// # use std::collections::HashMap;
    /// # use ferrule_http::Principal;
    /// let claims = HashMap::from([
    ///     ("sub".to_owned(), "u1".to_owned()),
    ///     ("cognito:groups".to_owned(), "[admin]".to_owned()),
    /// ]);
    /// assert!(Principal::from_claims(claims, None).unwrap().in_group("admin"));
    /// ```
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether the token was granted `scope`.
    ///
    /// ```
    /// # use std::collections::HashMap;
    /// # use ferrule_http::Principal;
    /// let claims = HashMap::from([("sub".to_owned(), "u1".to_owned())]);
    /// let principal = Principal::from_claims(claims, Some(vec!["orders/write".into()])).unwrap();
    /// assert!(principal.has_scope("orders/write"));
    /// ```
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Any claim by name.
    ///
    /// ```
    /// # use std::collections::HashMap;
    /// # use ferrule_http::Principal;
    /// let claims = HashMap::from([
    ///     ("sub".to_owned(), "u1".to_owned()),
    ///     ("custom:tenant".to_owned(), "acme".to_owned()),
    /// ]);
    /// let principal = Principal::from_claims(claims, None).unwrap();
    /// assert_eq!(principal.claim("custom:tenant"), Some("acme"));
    /// ```
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).map(String::as_str)
    }
}

/// Splits a list claim. API Gateway renders a JWT array as `[a b c]` (space separated,
/// no quotes); a claim that is itself a JSON array string (`["a","b"]`) and a single
/// bare value are accepted too. Cognito group names cannot contain white space.
fn parse_list_claim(raw: &str) -> Vec<String> {
    let trimmed = raw.trim();
    if trimmed.starts_with("[\"") {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(trimmed) {
            return list;
        }
    }
    let inner = trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(trimmed);
    inner
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a route asks of the caller before its handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requirement {
    Authenticated,
    Group(String),
    Scope(String),
}

impl Requirement {
    /// `Ok` when `principal` meets the requirement; 401 without a principal, 403 otherwise.
    pub(crate) fn check(&self, principal: Option<&Principal>) -> Result<(), HttpError> {
        let Some(principal) = principal else {
            return Err(HttpError::unauthorized(
                "This route requires a signed-in caller; no JWT claims came with the request.",
            ));
        };
        match self {
            Requirement::Authenticated => Ok(()),
            Requirement::Group(group) if principal.in_group(group) => Ok(()),
            Requirement::Group(group) => Err(HttpError::forbidden(format!(
                "This route requires membership of the group `{group}`."
            ))),
            Requirement::Scope(scope) if principal.has_scope(scope) => Ok(()),
            Requirement::Scope(scope) => Err(HttpError::forbidden(format!(
                "This route requires the scope `{scope}`."
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::StatusCode;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_cognito_id_token_claims() {
        let principal = Principal::from_claims(
            claims(&[
                ("sub", "u-1"),
                ("email", "grace@example.com"),
                ("cognito:username", "grace"),
                ("cognito:groups", "[admin editors]"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(principal.subject, "u-1");
        assert_eq!(principal.email.as_deref(), Some("grace@example.com"));
        assert_eq!(principal.username.as_deref(), Some("grace"));
        assert_eq!(principal.groups, ["admin", "editors"]);
        assert!(principal.scopes.is_empty());
        assert_eq!(principal.claim("cognito:username"), Some("grace"));
    }

    #[test]
    fn access_token_username_and_scope_claim() {
        let principal = Principal::from_claims(
            claims(&[
                ("sub", "u-1"),
                ("username", "grace"),
                ("scope", "orders/read  orders/write"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(principal.username.as_deref(), Some("grace"));
        assert_eq!(principal.scopes, ["orders/read", "orders/write"]);
    }

    #[test]
    fn authorizer_scopes_win_over_the_claim() {
        let principal = Principal::from_claims(
            claims(&[("sub", "u"), ("scope", "a")]),
            Some(vec!["b".into()]),
        )
        .unwrap();
        assert_eq!(principal.scopes, ["b"]);
    }

    #[test]
    fn no_subject_no_principal() {
        assert!(Principal::from_claims(claims(&[("email", "x@example.com")]), None).is_none());
        assert!(Principal::from_claims(claims(&[("sub", "")]), None).is_none());
    }

    #[test]
    fn list_claim_forms() {
        assert_eq!(parse_list_claim("[admin editors]"), ["admin", "editors"]);
        assert_eq!(parse_list_claim("[admin]"), ["admin"]);
        assert_eq!(parse_list_claim("[]"), Vec::<String>::new());
        assert_eq!(
            parse_list_claim(r#"["admin","editors"]"#),
            ["admin", "editors"]
        );
        assert_eq!(parse_list_claim("admin"), ["admin"]);
        assert_eq!(parse_list_claim("admin,editors"), ["admin", "editors"]);
        assert_eq!(parse_list_claim("  "), Vec::<String>::new());
    }

    #[test]
    fn requirements_answer_401_then_403() {
        let member = Principal::from_claims(
            claims(&[("sub", "u"), ("cognito:groups", "[editors]")]),
            Some(vec!["orders/read".into()]),
        )
        .unwrap();
        let unauthenticated = Requirement::Authenticated.check(None).unwrap_err();
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
        assert!(Requirement::Authenticated.check(Some(&member)).is_ok());
        assert!(Requirement::Group("editors".into())
            .check(Some(&member))
            .is_ok());
        let not_admin = Requirement::Group("admin".into())
            .check(Some(&member))
            .unwrap_err();
        assert_eq!(not_admin.status(), StatusCode::FORBIDDEN);
        assert!(not_admin.detail().contains("`admin`"), "{not_admin}");
        assert_eq!(
            Requirement::Group("admin".into())
                .check(None)
                .unwrap_err()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert!(Requirement::Scope("orders/read".into())
            .check(Some(&member))
            .is_ok());
        let no_scope = Requirement::Scope("orders/write".into())
            .check(Some(&member))
            .unwrap_err();
        assert_eq!(no_scope.status(), StatusCode::FORBIDDEN);
        assert!(no_scope.detail().contains("orders/write"), "{no_scope}");
    }
}
