//! The AWS adapter: Secrets Manager through aws-sdk-secretsmanager.

use std::sync::Arc;

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::OnceCell;

use crate::{SecretStore, SecretValue, Sensitive, StoreError};

/// [`SecretStore`] on Secrets Manager's `GetSecretValue` (the `AWSCURRENT` version).
#[derive(Debug, Clone)]
pub struct SecretsManagerStore {
    client: Arc<OnceCell<aws_sdk_secretsmanager::Client>>,
}

impl SecretsManagerStore {
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self {
            client: Arc::new(OnceCell::new_with(Some(client))),
        }
    }

    /// A store on a client built from the shared SDK configuration.
    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_secretsmanager::Client::new(config))
    }

    /// A store whose client (and the shared SDK configuration) is created on the first read,
    /// so init stays free of SDK work.
    ///
    /// ```
    /// let secrets = ferrule_secrets::Secrets::new(ferrule_secrets::SecretsManagerStore::lazy());
    /// # let _ = secrets;
    /// ```
    pub fn lazy() -> Self {
        Self {
            client: Arc::new(OnceCell::new()),
        }
    }

    async fn client(&self) -> &aws_sdk_secretsmanager::Client {
        self.client
            .get_or_init(|| async {
                aws_sdk_secretsmanager::Client::new(&ferrule_aws::sdk_config().await)
            })
            .await
    }
}

impl SecretStore for SecretsManagerStore {
    async fn get_secret(&self, id: &str) -> Result<SecretValue, StoreError> {
        match self
            .client()
            .await
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
        {
            Ok(output) => Ok(match (output.secret_string, output.secret_binary) {
                (Some(text), _) => SecretValue::Text(Sensitive::new(text)),
                (None, Some(_)) => SecretValue::Binary,
                (None, None) => SecretValue::Missing,
            }),
            Err(error) => {
                let code = error.code().unwrap_or_default().to_owned();
                if code == "ResourceNotFoundException" {
                    return Ok(SecretValue::Missing);
                }
                let message = format!("{code}: {}", error.message().unwrap_or("no message"));
                let retryable = matches!(
                    error,
                    SdkError::TimeoutError(_)
                        | SdkError::DispatchFailure(_)
                        | SdkError::ResponseError(_)
                ) || code.contains("Throttl")
                    || code == "InternalServiceError";
                Err(if retryable {
                    StoreError::Unavailable(message)
                } else {
                    StoreError::Refused(message)
                })
            }
        }
    }
}
