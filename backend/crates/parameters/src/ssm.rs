//! The AWS adapter: SSM Parameter Store through aws-sdk-ssm.

use std::collections::BTreeMap;

use ferrule_aws::{Failure, LazyClient};

use crate::store::{Fetched, ParameterStore, StoreError, MAX_NAMES_PER_CALL};

/// [`ParameterStore`] on SSM: `GetParameters` (≤ 10 names, with decryption) and
/// `GetParametersByPath` (recursive, paginated).
#[derive(Debug, Clone)]
pub struct SsmStore {
    client: LazyClient<aws_sdk_ssm::Client>,
}

impl SsmStore {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self {
            client: LazyClient::ready(client),
        }
    }

    /// A store on a client built from an SDK configuration, with X-Ray tracing of its calls.
    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(traced_client(config))
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
            client: LazyClient::new(traced_client),
        }
    }

    async fn client(&self) -> &aws_sdk_ssm::Client {
        self.client.get().await
    }
}

fn traced_client(config: &aws_config::SdkConfig) -> aws_sdk_ssm::Client {
    ferrule_aws::traced_client!(aws_sdk_ssm, config)
}

fn store_error<E, R>(error: aws_sdk_ssm::error::SdkError<E, R>) -> StoreError
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match ferrule_aws::classify(&error) {
        Failure::Transient(message) => StoreError::Unavailable(message),
        Failure::Permanent(message) => StoreError::Refused(message),
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
            .map_err(store_error)?;
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
            let page = page.map_err(store_error)?;
            for parameter in page.parameters() {
                if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                    values.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Ok(values)
    }
}
