//! The configuration contract between a function crate and its CDK declaration.
//!
//! A function names the variables it reads once, in its `Cargo.toml`:
//!
//! ```toml
//! [package.metadata.ferrule.env]      # required, with the value local runs use
//! ORDERS_TABLE = "orders-local"
//!
//! [package.metadata.ferrule]
//! optional-env = ["IDEMPOTENCY_EXPIRES_AFTER_SECS"]   # read when set
//! ```
//!
//! `RustFunction` refuses at synth an environment that lacks a required one or sets one the
//! crate does not read; [`check_config_matches_manifest`] ties the crate's configuration type
//! to the same list, so the Rust side and the CDK side cannot drift apart.

use std::collections::BTreeSet;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Variables every function gets from its construct and its libraries read: not declared per crate.
pub const CONSTRUCT_VARIABLES: &[&str] = &[
    "FERRULE_SERVICE_NAME",
    "FERRULE_STAGE",
    "POWERTOOLS_SERVICE_NAME",
    "FERRULE_METRICS_NAMESPACE",
    "POWERTOOLS_METRICS_NAMESPACE",
];

/// The variables a crate declares in its manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredEnvironment {
    /// `[package.metadata.ferrule.env]` keys, less [`CONSTRUCT_VARIABLES`].
    pub required: BTreeSet<String>,
    /// `[package.metadata.ferrule] optional-env`.
    pub optional: BTreeSet<String>,
}

#[derive(Deserialize)]
struct Manifest {
    package: Package,
}

#[derive(Deserialize)]
struct Package {
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    ferrule: Ferrule,
}

#[derive(Deserialize, Default)]
struct Ferrule {
    #[serde(default)]
    env: toml::Table,
    #[serde(default, rename = "optional-env")]
    optional_env: Vec<String>,
}

/// Reads the declaration from a `Cargo.toml`.
pub fn declared_environment(manifest: &Path) -> Result<DeclaredEnvironment, String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|error| format!("cannot read {}: {error}", manifest.display()))?;
    let parsed: Manifest =
        toml::from_str(&text).map_err(|error| format!("{}: {error}", manifest.display()))?;
    let ferrule = parsed.package.metadata.ferrule;
    let required = ferrule
        .env
        .keys()
        .filter(|name| !CONSTRUCT_VARIABLES.contains(&name.as_str()))
        .cloned()
        .collect();
    Ok(DeclaredEnvironment {
        required,
        optional: ferrule.optional_env.into_iter().collect(),
    })
}

/// The variables a configuration type read with `ferrule_parameters::load_config` takes:
/// its serde field names in upper case.
pub fn config_variables<T: DeserializeOwned>() -> BTreeSet<String> {
    serde_aux::serde_introspection::serde_introspect::<T>()
        .iter()
        .map(|field| field.to_ascii_uppercase())
        .collect()
}

/// Whether `T` reads exactly what the crate under test declares (required and optional
/// together); the error names each variable on either side. Run from the crate's own tests,
/// where Cargo points `CARGO_MANIFEST_DIR` at it:
/// `check_config_matches_manifest::<Config>().unwrap()`.
pub fn check_config_matches_manifest<T: DeserializeOwned>() -> Result<(), String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .ok_or("CARGO_MANIFEST_DIR is not set: run this from the crate's tests (cargo test)")?;
    let manifest = Path::new(&dir).join("Cargo.toml");
    let declared = declared_environment(&manifest)?;
    let declared_names: BTreeSet<String> = declared
        .required
        .union(&declared.optional)
        .cloned()
        .collect();
    let read = config_variables::<T>();
    let undeclared: Vec<&String> = read.difference(&declared_names).collect();
    let unread: Vec<&String> = declared_names.difference(&read).collect();
    if undeclared.is_empty() && unread.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{}: the configuration type and [package.metadata.ferrule] disagree; read but not declared: {undeclared:?}; declared but not read: {unread:?}",
        manifest.display(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Config {
        orders_table: String,
        #[serde(default)]
        expires_after_secs: Option<u64>,
    }

    #[test]
    fn config_variables_are_the_upper_case_field_names() {
        assert_eq!(
            config_variables::<Config>(),
            BTreeSet::from(["ORDERS_TABLE".to_owned(), "EXPIRES_AFTER_SECS".to_owned()])
        );
    }

    #[test]
    fn reads_required_and_optional_names_without_the_construct_variables() {
        let dir = std::env::temp_dir().join(format!("ferrule-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Cargo.toml");
        std::fs::write(
            &path,
            "[package]\nname = \"x\"\n[package.metadata.ferrule]\noptional-env = [\"EXPIRES_AFTER_SECS\"]\n[package.metadata.ferrule.env]\nORDERS_TABLE = \"orders-local\"\nFERRULE_SERVICE_NAME = \"x\"\n",
        )
        .unwrap();
        let declared = declared_environment(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            declared.required,
            BTreeSet::from(["ORDERS_TABLE".to_owned()])
        );
        assert_eq!(
            declared.optional,
            BTreeSet::from(["EXPIRES_AFTER_SECS".to_owned()])
        );
    }

    #[test]
    fn a_manifest_without_ferrule_metadata_declares_nothing() {
        let dir =
            std::env::temp_dir().join(format!("ferrule-manifest-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Cargo.toml");
        std::fs::write(&path, "[package]\nname = \"x\"\n").unwrap();
        let declared = declared_environment(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(declared, DeclaredEnvironment::default());
    }

    #[test]
    fn an_unreadable_manifest_is_an_error_naming_it() {
        let error = declared_environment(Path::new("/nonexistent/Cargo.toml")).unwrap_err();
        assert!(error.contains("/nonexistent/Cargo.toml"), "{error}");
    }
}
