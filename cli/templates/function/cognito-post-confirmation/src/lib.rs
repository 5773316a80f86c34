//! `{{name}}`: {{description}}
//!
//! A Cognito PostConfirmation trigger of the user pool `{{user_pool}}`: runs once a user has
//! confirmed the account. Cognito waits at most 5 s and answers the user with an `Err`'s
//! message, so do the quick, idempotent part here (a profile row) and the rest elsewhere.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPostConfirmation;
use ferrule_errors::FunctionError;
use lambda_runtime::LambdaEvent;

/// Lambda handler: reads the new user's `sub` and answers with the event, as Cognito expects.
pub async fn handler(
    event: LambdaEvent<CognitoEventUserPoolsPostConfirmation>,
) -> Result<CognitoEventUserPoolsPostConfirmation, FunctionError> {
    let event = event.payload;
    let Some(subject) = event.request.user_attributes.get("sub") else {
        return Err(FunctionError::validation(
            "the confirmed user has no sub attribute",
        ));
    };
    tracing::info!(user = %subject, "user confirmed");
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::{Context, Error};

    fn fixture() -> Result<CognitoEventUserPoolsPostConfirmation, Error> {
        Ok(ferrule_testkit::fixture_as("{{fixture}}")?)
    }

    #[tokio::test]
    async fn a_confirmed_user_is_answered_with_the_event() -> Result<(), Error> {
        let event = fixture()?;
        let answer = handler(LambdaEvent::new(event.clone(), Context::default())).await?;
        assert_eq!(answer, event);
        Ok(())
    }

    #[tokio::test]
    async fn a_user_without_sub_is_refused() -> Result<(), Error> {
        let mut event = fixture()?;
        event.request.user_attributes.remove("sub");
        assert!(handler(LambdaEvent::new(event, Context::default()))
            .await
            .is_err());
        Ok(())
    }
}
