//! The contract every SecretStore adapter passes, against the in-memory store and against
//! Secrets Manager on moto.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferrule_secrets::{
    InMemorySecretStore, SecretError, SecretStore, Secrets, SecretsManagerStore, Sensitive,
};
use ferrule_testkit::moto;

trait Seed {
    async fn seed(&self, id: &str, value: &str);
    async fn seed_binary(&self, id: &str);
    async fn rotate(&self, id: &str, value: &str);
}

impl Seed for InMemorySecretStore {
    async fn seed(&self, id: &str, value: &str) {
        self.put(id, value);
    }
    async fn seed_binary(&self, id: &str) {
        self.put_binary(id);
    }
    async fn rotate(&self, id: &str, value: &str) {
        self.put(id, value);
    }
}

struct Sm(aws_sdk_secretsmanager::Client);

impl Seed for Sm {
    async fn seed(&self, id: &str, value: &str) {
        self.0
            .create_secret()
            .name(id)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }
    async fn seed_binary(&self, id: &str) {
        self.0
            .create_secret()
            .name(id)
            .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(vec![
                0, 159, 146, 150,
            ]))
            .send()
            .await
            .unwrap();
    }
    async fn rotate(&self, id: &str, value: &str) {
        self.0
            .put_secret_value()
            .secret_id(id)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }
}

#[derive(Debug, serde::Deserialize)]
struct ShippingApi {
    base_url: String,
    api_key: Sensitive<String>,
}

async fn contract<S: SecretStore>(store: S, seed: &impl Seed, prefix: &str) {
    let json = format!("{prefix}/shipping");
    let plain = format!("{prefix}/token");
    let binary = format!("{prefix}/cert");
    seed.seed(
        &json,
        r#"{"base_url":"https://ship.example","api_key":"k-1"}"#,
    )
    .await;
    seed.seed(&plain, "t0k3n").await;
    seed.seed_binary(&binary).await;

    let secrets = Secrets::new(store);
    let api: ShippingApi = secrets.get_json(&json).await.unwrap();
    assert_eq!(api.base_url, "https://ship.example");
    assert_eq!(api.api_key.expose(), "k-1");
    assert_eq!(secrets.get(&plain).await.unwrap().expose(), "t0k3n");

    seed.rotate(&plain, "t0k3n-2").await;
    assert_eq!(
        secrets.get(&plain).await.unwrap().expose(),
        "t0k3n",
        "cached until refreshed"
    );
    assert_eq!(secrets.get_fresh(&plain).await.unwrap().expose(), "t0k3n-2");

    assert!(matches!(
        secrets.get(&format!("{prefix}/absent")).await,
        Err(SecretError::NotFound(_))
    ));
    assert!(matches!(
        secrets.get(&binary).await,
        Err(SecretError::Binary(_))
    ));
    let err = secrets.get_json::<ShippingApi>(&plain).await.unwrap_err();
    assert!(!err.to_string().contains("t0k3n"), "{err}");
}

#[tokio::test]
async fn in_memory_store_passes_the_contract() {
    let store = InMemorySecretStore::new();
    contract(store.clone(), &store, "memory").await;
}

#[tokio::test]
async fn secrets_manager_on_moto_passes_the_contract() {
    let config = moto::sdk_config().await.unwrap();
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let prefix = moto::unique_name("contract");
    contract(
        SecretsManagerStore::new(client.clone()),
        &Sm(client),
        &prefix,
    )
    .await;
}
