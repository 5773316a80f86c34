//! The AWS adapter: Secrets Manager through aws-sdk-secretsmanager.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use ferrule_aws::{Failure, LazyClient};

use crate::{SecretStore, SecretValue, Sensitive, StoreError};

/// [`SecretStore`] on Secrets Manager's `GetSecretValue` (the `AWSCURRENT` version).
#[derive(Debug, Clone)]
pub struct SecretsManagerStore {
    client: LazyClient<aws_sdk_secretsmanager::Client>,
}

impl SecretsManagerStore {
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self {
            client: LazyClient::ready(client),
        }
    }

    /// A store on a client built from an SDK configuration, with X-Ray tracing of its calls.
    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(traced_client(config))
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
            client: LazyClient::new(traced_client),
        }
    }

    async fn client(&self) -> &aws_sdk_secretsmanager::Client {
        self.client.get().await
    }
}

fn traced_client(config: &aws_config::SdkConfig) -> aws_sdk_secretsmanager::Client {
    ferrule_aws::traced_client!(aws_sdk_secretsmanager, config)
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
                if error.code() == Some("ResourceNotFoundException") {
                    return Ok(SecretValue::Missing);
                }
                Err(match ferrule_aws::classify(&error) {
                    Failure::Transient(message) => StoreError::Unavailable(message),
                    Failure::Permanent(message) => StoreError::Refused(message),
                })
            }
        }
    }
}
