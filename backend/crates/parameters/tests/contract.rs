//! The contract every ParameterStore adapter passes: run against the in-memory store and
//! against SSM on moto (the same assertions, so the fake cannot drift from the real thing).

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferrule_parameters::{load_config_from, InMemoryStore, ParameterStore, Parameters, SsmStore};
use ferrule_testkit::moto;

/// Writes parameters into whichever store is under test.
trait Seed {
    async fn seed(&self, name: &str, value: &str, secure: bool);
}

impl Seed for InMemoryStore {
    async fn seed(&self, name: &str, value: &str, _secure: bool) {
        self.put(name, value);
    }
}

struct SsmSeed(aws_sdk_ssm::Client);

impl Seed for SsmSeed {
    async fn seed(&self, name: &str, value: &str, secure: bool) {
        let kind = if secure {
            aws_sdk_ssm::types::ParameterType::SecureString
        } else {
            aws_sdk_ssm::types::ParameterType::String
        };
        self.0
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(kind)
            .overwrite(true)
            .send()
            .await
            .unwrap();
    }
}

async fn contract<S: ParameterStore>(store: S, seed: &impl Seed, prefix: &str) {
    // 12 parameters: more than one GetParameters call.
    for i in 0..12 {
        seed.seed(&format!("{prefix}/p{i:02}"), &format!("value-{i}"), false)
            .await;
    }
    seed.seed(&format!("{prefix}/secret/db-password"), "hunter2", true)
        .await;

    let names: Vec<String> = (0..10).map(|i| format!("{prefix}/p{i:02}")).collect();
    let fetched = store.get_parameters(&names).await.unwrap();
    assert_eq!(fetched.values.len(), 10);
    assert!(fetched.missing.is_empty());

    let asked = vec![format!("{prefix}/p00"), format!("{prefix}/nope")];
    let fetched = store.get_parameters(&asked).await.unwrap();
    assert_eq!(fetched.values[&asked[0]], "value-0");
    assert_eq!(fetched.missing, vec![asked[1].clone()]);

    let too_many: Vec<String> = (0..11).map(|i| format!("{prefix}/p{i:02}")).collect();
    assert!(store.get_parameters(&too_many).await.is_err());

    let secret = store
        .get_parameters(&[format!("{prefix}/secret/db-password")])
        .await
        .unwrap();
    assert_eq!(
        secret.values[&format!("{prefix}/secret/db-password")],
        "hunter2",
        "SecureString values come back decrypted"
    );

    let tree = store.get_parameters_by_path(prefix).await.unwrap();
    assert_eq!(tree.len(), 13, "recursive: includes {prefix}/secret/…");

    // The loader on top: 12 references resolved in batches, one error for what is missing.
    #[derive(serde::Deserialize)]
    struct Config {
        p00: String,
        p11: String,
        db_password: String,
    }
    let parameters = Parameters::new(store);
    let mut vars: Vec<(String, String)> = (0..12)
        .map(|i| (format!("P{i:02}"), format!("ssm:{prefix}/p{i:02}")))
        .collect();
    vars.push((
        "DB_PASSWORD".into(),
        format!("ssm:{prefix}/secret/db-password"),
    ));
    let config: Config = load_config_from(&parameters, vars.clone()).await.unwrap();
    assert_eq!(
        (config.p00.as_str(), config.p11.as_str()),
        ("value-0", "value-11")
    );
    assert_eq!(config.db_password, "hunter2");

    vars.push(("EXTRA_ONE".into(), format!("ssm:{prefix}/missing-a")));
    vars.push(("EXTRA_TWO".into(), format!("ssm:{prefix}/missing-b")));
    let err = load_config_from::<Config, _, _>(&parameters, vars)
        .await
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("EXTRA_ONE") && text.contains("EXTRA_TWO"),
        "{text}"
    );
}

#[tokio::test]
async fn in_memory_store_passes_the_contract() {
    let store = InMemoryStore::new();
    contract(store.clone(), &store, "/contract/memory").await;
}

#[tokio::test]
async fn ssm_on_moto_passes_the_contract() {
    let config = moto::sdk_config().await.unwrap();
    let client = aws_sdk_ssm::Client::new(&config);
    let prefix = format!("/{}", moto::unique_name("contract"));
    contract(SsmStore::new(client.clone()), &SsmSeed(client), &prefix).await;
}
