//! Test helpers shared by every Ferrule crate: event fixtures, Lambda contexts
//! ([`ContextBuilder`]), with the `moto` feature the moto server ([`moto`]), with the
//! `manifest` feature the configuration contract of a function crate ([`manifest`]), and with
//! the `concurrent` feature many overlapping invocations as Lambda Managed Instances run them
//! ([`concurrent`]).
//!
//! Event fixtures live once in `backend/events/<source>/<variant>.json` and are read by
//! Rust tests, the `ferrule` CLI and the Runtime API emulator alike. A fixture is named by
//! its path below `backend/events/` without the extension, for example `apigw-http/get-hello`.
//!
//! ```
//! let raw = ferrule_testkit::fixture("apigw-http/get-hello").unwrap();
//! assert!(raw.contains("\"version\": \"2.0\""));
//! ```

use std::path::{Path, PathBuf};

#[cfg(feature = "concurrent")]
pub mod concurrent;
mod context;
#[cfg(feature = "manifest")]
pub mod manifest;
#[cfg(feature = "moto")]
pub mod moto;

pub use context::ContextBuilder;

use serde::de::DeserializeOwned;

/// Why a fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The name does not match a file below `backend/events/`.
    #[error("fixture `{name}` not found at {path}; list them with `npx ferrule events`")]
    NotFound { name: String, path: PathBuf },
    /// The file exists but could not be read.
    #[error("fixture `{name}` could not be read: {source}")]
    Unreadable {
        name: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON, or not the shape the caller asked for.
    #[error("fixture `{name}` does not deserialize into the requested type: {source}")]
    Shape {
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The folder that holds every fixture: `backend/events/` of the checkout the tests run in.
pub fn events_dir() -> PathBuf {
    backend_dir().join("events")
}

/// `backend/` of the running checkout.
///
/// Found at run time, not from this crate's compile-time `CARGO_MANIFEST_DIR`: clones that
/// share one Cargo target folder (CI) share this crate's compiled artifact, so a path baked in
/// at compile time would point every clone at the first clone's files. Cargo sets
/// `CARGO_MANIFEST_DIR` for each test process to the package being tested, in the current
/// checkout; outside Cargo the working directory is searched instead.
pub fn backend_dir() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok());
    start
        .as_deref()
        .and_then(find_backend_dir)
        // This crate lives in backend/crates/testkit: the compile-time folder is the last resort.
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// The nearest folder at or above `start` that holds `events/` beside a `Cargo.toml`.
pub fn find_backend_dir(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("events").is_dir() && dir.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// Path of the fixture file for `name` (for example `sqs/standard`).
pub fn fixture_path(name: &str) -> PathBuf {
    events_dir().join(format!("{name}.json"))
}

/// The raw JSON text of a fixture.
pub fn fixture(name: &str) -> Result<String, FixtureError> {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            FixtureError::NotFound {
                name: name.to_owned(),
                path,
            }
        } else {
            FixtureError::Unreadable {
                name: name.to_owned(),
                source,
            }
        }
    })
}

/// A fixture deserialized into `T`, typically an `aws_lambda_events` type.
pub fn fixture_as<T: DeserializeOwned>(name: &str) -> Result<T, FixtureError> {
    let raw = fixture(name)?;
    serde_json::from_str(&raw).map_err(|source| FixtureError::Shape {
        name: name.to_owned(),
        source,
    })
}

/// Every fixture name below `backend/events/`, sorted.
pub fn fixture_names() -> Result<Vec<String>, std::io::Error> {
    let root = events_dir();
    let mut names = Vec::new();
    for source in std::fs::read_dir(&root)? {
        let source = source?;
        if !source.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(source.path())? {
            let file = file?.path();
            if file.extension().and_then(|e| e.to_str()) == Some("json") {
                if let (Some(dir), Some(stem)) = (
                    source.file_name().to_str(),
                    file.file_stem().and_then(|s| s.to_str()),
                ) {
                    names.push(format!("{dir}/{stem}"));
                }
            }
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_is_valid_json() -> Result<(), Box<dyn std::error::Error>> {
        let names = fixture_names()?;
        assert!(
            names.len() >= 10,
            "expected the shared fixtures, found {names:?}"
        );
        for name in names {
            let _: serde_json::Value = fixture_as(&name)?;
        }
        Ok(())
    }

    /// Each source's fixtures deserialize into the `aws_lambda_events` type Lambda
    /// functions use, so a fixture cannot drift from the real payload shape.
    #[test]
    fn every_fixture_matches_its_event_type() -> Result<(), Box<dyn std::error::Error>> {
        use aws_lambda_events::event::{apigw, cognito, dynamodb, eventbridge, sqs};
        for name in fixture_names()? {
            let source = name.split('/').next().unwrap_or_default();
            match source {
                "apigw-http" => drop(fixture_as::<apigw::ApiGatewayV2httpRequest>(&name)?),
                "sqs" => drop(fixture_as::<sqs::SqsEvent>(&name)?),
                "dynamodb-stream" => drop(fixture_as::<dynamodb::Event>(&name)?),
                "eventbridge" => drop(fixture_as::<
                    eventbridge::EventBridgeEvent<serde_json::Value>,
                >(&name)?),
                "cognito" if name.contains("pre-sign-up") => drop(fixture_as::<
                    cognito::CognitoEventUserPoolsPreSignup,
                >(&name)?),
                "cognito" if name.contains("post-confirmation") => {
                    drop(fixture_as::<cognito::CognitoEventUserPoolsPostConfirmation>(&name)?)
                }
                "cognito" if name.contains("custom-message") => drop(fixture_as::<
                    cognito::CognitoEventUserPoolsCustomMessage,
                >(&name)?),
                _ => return Err(format!("no event type known for fixture {name}").into()),
            }
        }
        Ok(())
    }

    #[test]
    fn each_checkout_finds_its_own_backend() -> Result<(), Box<dyn std::error::Error>> {
        let root = std::env::temp_dir().join(format!("ferrule-testkit-{}", std::process::id()));
        let crate_dir = |clone: &str| root.join(clone).join("backend/functions/some-fn");
        for clone in ["first", "second"] {
            std::fs::create_dir_all(crate_dir(clone))?;
            std::fs::create_dir_all(root.join(clone).join("backend/events"))?;
            std::fs::write(root.join(clone).join("backend/Cargo.toml"), "[workspace]\n")?;
        }
        let found = find_backend_dir(&crate_dir("second"));
        std::fs::remove_dir_all(&root)?;
        assert_eq!(found, Some(root.join("second/backend")));
        Ok(())
    }

    #[test]
    fn fixtures_come_from_the_checkout_cargo_runs_the_tests_in() {
        let running = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        if let Some(package) = running {
            assert_eq!(Some(backend_dir()), find_backend_dir(&package));
        }
    }

    #[test]
    fn unknown_fixture_names_the_file_and_the_fix() {
        let err = fixture("sqs/does-not-exist").err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("sqs/does-not-exist"), "{message}");
        assert!(message.contains("npx ferrule events"), "{message}");
    }

    #[test]
    fn wrong_shape_is_a_typed_error() {
        #[derive(Debug, serde::Deserialize)]
        struct NeedsField {
            #[allow(dead_code)]
            this_field_is_not_in_any_fixture: String,
        }
        let err = fixture_as::<NeedsField>("sqs/standard").err();
        assert!(matches!(err, Some(FixtureError::Shape { .. })), "{err:?}");
    }
}
