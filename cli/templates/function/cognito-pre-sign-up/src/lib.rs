//! `{{name}}`: {{description}}
//!
//! A Cognito PreSignUp trigger of the user pool `{{user_pool}}`. Cognito waits at most 5 s
//! and shows an `Err`'s message to the user signing up, so keep it short and clear. Answer
//! with the event, changing `response` (auto-confirm, auto-verify) when the rule allows it.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignup;
use ferrule_errors::FunctionError;
use lambda_runtime::LambdaEvent;

/// The attribute every sign-up must carry.
pub const REQUIRED_ATTRIBUTE: &str = "email";

/// Lambda handler: accepts the sign-up when it carries [`REQUIRED_ATTRIBUTE`].
pub async fn handler(
    event: LambdaEvent<CognitoEventUserPoolsPreSignup>,
) -> Result<CognitoEventUserPoolsPreSignup, FunctionError> {
    let mut event = event.payload;
    let has_required = event
        .request
        .user_attributes
        .get(REQUIRED_ATTRIBUTE)
        .is_some_and(|value| !value.trim().is_empty());
    if !has_required {
        return Err(FunctionError::validation(format!(
            "sign-up needs an {REQUIRED_ATTRIBUTE} attribute"
        )));
    }
    // Users confirm their e-mail address themselves; change this only for trusted sources.
    event.response.auto_confirm_user = false;
    tracing::info!("sign-up accepted");
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::{Context, Error};

    fn fixture() -> Result<CognitoEventUserPoolsPreSignup, Error> {
        Ok(ferrule_testkit::fixture_as("{{fixture}}")?)
    }

    #[tokio::test]
    async fn a_sign_up_with_the_attribute_is_accepted() -> Result<(), Error> {
        let answer = handler(LambdaEvent::new(fixture()?, Context::default())).await?;
        assert!(!answer.response.auto_confirm_user);
        Ok(())
    }

    #[tokio::test]
    async fn a_sign_up_without_it_is_refused() -> Result<(), Error> {
        let mut event = fixture()?;
        event.request.user_attributes.remove(REQUIRED_ATTRIBUTE);
        let refused = handler(LambdaEvent::new(event, Context::default())).await;
        assert!(refused.is_err());
        Ok(())
    }
}
