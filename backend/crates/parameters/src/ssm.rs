//! The AWS adapter: SSM Parameter Store through aws-sdk-ssm.

use std::collections::BTreeMap;

use std::sync::Arc;

use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tokio::sync::OnceCell;

use crate::store::{Fetched, ParameterStore, StoreError, MAX_NAMES_PER_CALL};

/// [`ParameterStore`] on SSM: `GetParameters` (≤ 10 names, with decryption) and
/// `GetParametersByPath` (recursive, paginated).
#[derive(Debug, Clone)]
pub struct SsmStore {
    client: Arc<OnceCell<aws_sdk_ssm::Client>>,
}

impl SsmStore {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self {
            client: Arc::new(OnceCell::new_with(Some(client))),
        }
    }

    /// A store on a client built from the shared SDK configuration.
    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_ssm::Client::new(config))
    }

    /// A store whose client (and the shared SDK configuration) is created on the first read.
    /// Loading the SDK configuration costs milliseconds of cold start; a function whose
    /// configuration has no `ssm:` reference never pays it.
    ///
    /// ```
    /// let store = ferrule_parameters::SsmStore::lazy();
    /// let parameters = ferrule_parameters::Parameters::new(store);
    /// # let _ = parameters;
    /// ```
    pub fn lazy() -> Self {
        Self {
            client: Arc::new(OnceCell::new()),
        }
    }

    async fn client(&self) -> &aws_sdk_ssm::Client {
        self.client
            .get_or_init(|| async { aws_sdk_ssm::Client::new(&ferrule_aws::sdk_config().await) })
            .await
    }
}

fn classify<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default().to_owned();
    let message: String = DisplayErrorContext(&error)
        .to_string()
        .chars()
        .take(500)
        .collect();
    let retryable = matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    ) || code.contains("Throttl")
        || code == "InternalServerError";
    if retryable {
        StoreError::Unavailable(message)
    } else {
        StoreError::Refused(message)
    }
}

impl ParameterStore for SsmStore {
    async fn get_parameters(&self, names: &[String]) -> Result<Fetched, StoreError> {
        if names.len() > MAX_NAMES_PER_CALL {
            return Err(StoreError::Refused(format!(
                "{} names in one call; the limit is {MAX_NAMES_PER_CALL}",
                names.len()
            )));
        }
        let output = self
            .client()
            .await
            .get_parameters()
            .set_names(Some(names.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(classify)?;
        let mut fetched = Fetched::default();
        for parameter in output.parameters() {
            if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                fetched.values.insert(name.to_owned(), value.to_owned());
            }
        }
        // A `name:version` selector comes back under the plain name: map it back.
        for name in names {
            let plain = name.split(':').next().unwrap_or(name);
            if plain != name {
                if let Some(value) = fetched.values.get(plain).cloned() {
                    fetched.values.insert(name.clone(), value);
                }
            }
        }
        fetched.missing = output.invalid_parameters().to_vec();
        Ok(fetched)
    }

    async fn get_parameters_by_path(
        &self,
        path: &str,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let mut values = BTreeMap::new();
        let mut pages = self
            .client()
            .await
            .get_parameters_by_path()
            .path(path)
            .recursive(true)
            .with_decryption(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(classify)?;
            for parameter in page.parameters() {
                if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                    values.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Ok(values)
    }
}
