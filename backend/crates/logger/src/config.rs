//! What the logger writes, where, and at which level: from Lambda's environment or set by hand.

use std::fmt;
use std::io;

use tracing::level_filters::LevelFilter;
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::layer::{InvokeSpanFilter, LambdaLogLayer};
use crate::LoggerError;

/// `JSON` or `Text`, set by Lambda's advanced logging controls.
pub const LOG_FORMAT_VAR: &str = "AWS_LAMBDA_LOG_FORMAT";
/// `TRACE`..`FATAL`, set by Lambda's advanced logging controls.
pub const LOG_LEVEL_VAR: &str = "AWS_LAMBDA_LOG_LEVEL";
/// `tracing_subscriber::EnvFilter` directives; overrides [`LOG_LEVEL_VAR`] when set.
pub const RUST_LOG_VAR: &str = "RUST_LOG";
/// The first choice for the `service` key.
pub const SERVICE_NAME_VAR: &str = "FERRULE_SERVICE_NAME";
/// The second choice for the `service` key (the name Powertools reads).
pub const POWERTOOLS_SERVICE_NAME_VAR: &str = "POWERTOOLS_SERVICE_NAME";
/// Set by Lambda; the `function_name` key and the last choice for `service`.
pub const FUNCTION_NAME_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// Set by Lambda; the `function_version` key.
pub const FUNCTION_VERSION_VAR: &str = "AWS_LAMBDA_FUNCTION_VERSION";
/// The `service` value when no variable names one (the Powertools default).
pub const UNDEFINED_SERVICE: &str = "service_undefined";

/// The shape of each log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `<timestamp> <LEVEL> <requestId> <message> key=value ...` (Lambda's default).
    #[default]
    Text,
    /// One JSON object per line, in Lambda's JSON log format plus the Powertools keys.
    Json,
}

impl LogFormat {
    /// Reads the value of [`LOG_FORMAT_VAR`]: `JSON` or `Text`, any case.
    fn parse(setting: &'static str, value: &str) -> Result<Self, LoggerError> {
        if value.eq_ignore_ascii_case("json") {
            Ok(Self::Json)
        } else if value.eq_ignore_ascii_case("text") {
            Ok(Self::Text)
        } else {
            Err(LoggerError::InvalidFormat {
                setting,
                value: value.to_owned(),
            })
        }
    }
}

/// Lambda's levels, any case; `FATAL` (which `tracing` lacks) maps to `ERROR`.
fn parse_level(setting: &'static str, value: &str) -> Result<LevelFilter, LoggerError> {
    const LEVELS: [(&str, LevelFilter); 6] = [
        ("TRACE", LevelFilter::TRACE),
        ("DEBUG", LevelFilter::DEBUG),
        ("INFO", LevelFilter::INFO),
        ("WARN", LevelFilter::WARN),
        ("ERROR", LevelFilter::ERROR),
        ("FATAL", LevelFilter::ERROR),
    ];
    LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, level)| *level)
        .ok_or_else(|| LoggerError::InvalidLevel {
            setting,
            value: value.to_owned(),
        })
}

fn parse_filter(setting: &'static str, directives: &str) -> Result<EnvFilter, LoggerError> {
    EnvFilter::builder()
        .parse(directives)
        .map_err(|error| LoggerError::InvalidFilter {
            setting,
            value: directives.to_owned(),
            reason: error.to_string(),
        })
}

fn level_filter(level: LevelFilter) -> EnvFilter {
    EnvFilter::default().add_directive(level.into())
}

/// How [`init_with`](crate::init_with) sets the logger up: format, level filter,
/// `service`, function name and version, and the writer (stdout unless replaced).
///
/// [`LoggerConfig::from_env`] reads what Lambda sets; [`LoggerConfig::new`] starts
/// from the defaults (Text, `INFO`, `service_undefined`, stdout). Each setter
/// returns the updated configuration:
///
/// ```
/// use ferrule_logger::{LogFormat, LoggerConfig};
///
/// let config = LoggerConfig::new()
///     .format(LogFormat::Json)
///     .filter("info,my_crate=debug")?
///     .service("orders")
///     .function_name("orders-api")
///     .function_version("$LATEST");
/// assert_eq!(config.log_format(), LogFormat::Json);
/// # Ok::<(), ferrule_logger::LoggerError>(())
/// ```
pub struct LoggerConfig<W = fn() -> io::Stdout> {
    format: LogFormat,
    filter: EnvFilter,
    service: String,
    function_name: Option<String>,
    function_version: Option<String>,
    writer: W,
}

impl LoggerConfig {
    /// Text format, level `INFO`, service `service_undefined`, no function name or
    /// version, written to stdout.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new();
    /// assert_eq!(config.log_format(), ferrule_logger::LogFormat::Text);
    /// assert_eq!(config.service_name(), "service_undefined");
    /// ```
    pub fn new() -> Self {
        Self {
            format: LogFormat::Text,
            filter: level_filter(LevelFilter::INFO),
            service: UNDEFINED_SERVICE.to_owned(),
            function_name: None,
            function_version: None,
            writer: io::stdout,
        }
    }

    /// Reads the process environment; see [`LoggerConfig::from_lookup`] for the rules.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::from_env()?;
    /// # Ok::<(), ferrule_logger::LoggerError>(())
    /// ```
    pub fn from_env() -> Result<Self, LoggerError> {
        Self::from_lookup(|name| {
            // A value that is not UTF-8 is kept (lossily) so the error can show it.
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// Builds the configuration from `lookup(variable_name)`, which returns the
    /// variable's value if set. An empty value counts as unset.
    ///
    /// - format: `AWS_LAMBDA_LOG_FORMAT` = `JSON` | `Text` (any case); unset → Text.
    /// - filter: `RUST_LOG` (`EnvFilter` directives, e.g. `info,aws_smithy=warn`)
    ///   when set, else `AWS_LAMBDA_LOG_LEVEL` (`TRACE` | `DEBUG` | `INFO` | `WARN` |
    ///   `ERROR` | `FATAL`, `FATAL` meaning `ERROR`), else `INFO`.
    /// - service: `FERRULE_SERVICE_NAME`, else `POWERTOOLS_SERVICE_NAME`, else
    ///   `AWS_LAMBDA_FUNCTION_NAME`, else `service_undefined`.
    /// - function name / version: `AWS_LAMBDA_FUNCTION_NAME` /
    ///   `AWS_LAMBDA_FUNCTION_VERSION`; unset → the keys are left out.
    ///
    /// # Errors
    /// [`LoggerError::InvalidFormat`], [`LoggerError::InvalidLevel`] or
    /// [`LoggerError::InvalidFilter`], naming the variable and its value.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use ferrule_logger::{LogFormat, LoggerConfig};
    ///
    /// let env = HashMap::from([
    ///     ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ///     ("AWS_LAMBDA_LOG_LEVEL", "FATAL"),
    ///     ("AWS_LAMBDA_FUNCTION_NAME", "orders-api"),
    /// ]);
    /// let config = LoggerConfig::from_lookup(|name| env.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(config.log_format(), LogFormat::Json);
    /// assert_eq!(config.service_name(), "orders-api");
    ///
    /// let bad = HashMap::from([("AWS_LAMBDA_LOG_LEVEL", "LOUD")]);
    /// let error = LoggerConfig::from_lookup(|name| bad.get(name).map(|v| v.to_string()));
    /// assert!(error.is_err());
    /// # Ok::<(), ferrule_logger::LoggerError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LoggerError> {
        let var = |name: &str| lookup(name).filter(|value| !value.is_empty());

        let format = match var(LOG_FORMAT_VAR) {
            Some(value) => LogFormat::parse(LOG_FORMAT_VAR, &value)?,
            None => LogFormat::Text,
        };
        let filter = match (var(RUST_LOG_VAR), var(LOG_LEVEL_VAR)) {
            (Some(directives), _) => parse_filter(RUST_LOG_VAR, &directives)?,
            (None, Some(level)) => level_filter(parse_level(LOG_LEVEL_VAR, &level)?),
            (None, None) => level_filter(LevelFilter::INFO),
        };
        let function_name = var(FUNCTION_NAME_VAR);
        let service = var(SERVICE_NAME_VAR)
            .or_else(|| var(POWERTOOLS_SERVICE_NAME_VAR))
            .or_else(|| function_name.clone())
            .unwrap_or_else(|| UNDEFINED_SERVICE.to_owned());

        Ok(Self {
            format,
            filter,
            service,
            function_name,
            function_version: var(FUNCTION_VERSION_VAR),
            writer: io::stdout,
        })
    }
}

impl Default for LoggerConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl<W> LoggerConfig<W> {
    /// Sets the line format.
    ///
    /// ```
    /// use ferrule_logger::{LogFormat, LoggerConfig};
    /// let config = LoggerConfig::new().format(LogFormat::Json);
    /// assert_eq!(config.log_format(), LogFormat::Json);
    /// ```
    pub fn format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Logs events at `level` and above, replacing any filter.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new().level(tracing::Level::DEBUG);
    /// ```
    pub fn level(mut self, level: Level) -> Self {
        self.filter = level_filter(LevelFilter::from_level(level));
        self
    }

    /// Replaces the filter with `EnvFilter` directives (the `RUST_LOG` syntax).
    ///
    /// Targets that no directive names are not logged: start with a bare level
    /// (`info,my_crate=debug`) to keep the rest.
    ///
    /// # Errors
    /// [`LoggerError::InvalidFilter`] with `setting` `LoggerConfig::filter`.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new().filter("warn,orders=debug")?;
    /// assert!(ferrule_logger::LoggerConfig::new().filter("orders=loud").is_err());
    /// # Ok::<(), ferrule_logger::LoggerError>(())
    /// ```
    pub fn filter(mut self, directives: &str) -> Result<Self, LoggerError> {
        self.filter = parse_filter("LoggerConfig::filter", directives)?;
        Ok(self)
    }

    /// Sets the `service` key.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new().service("payments");
    /// assert_eq!(config.service_name(), "payments");
    /// ```
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// Sets the `function_name` key.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new().function_name("orders-api");
    /// ```
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = Some(name.into());
        self
    }

    /// Sets the `function_version` key.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new().function_version("$LATEST");
    /// ```
    pub fn function_version(mut self, version: impl Into<String>) -> Self {
        self.function_version = Some(version.into());
        self
    }

    /// Writes lines to `writer` instead of stdout: any `tracing_subscriber`
    /// [`MakeWriter`], e.g. a closure returning an `io::Write`. Each line, newline
    /// included, is handed over in one `write_all`.
    ///
    /// ```
    /// let config = ferrule_logger::LoggerConfig::new().writer(std::io::stderr);
    /// ```
    pub fn writer<W2>(self, writer: W2) -> LoggerConfig<W2>
    where
        W2: for<'a> MakeWriter<'a> + Send + Sync + 'static,
    {
        LoggerConfig {
            format: self.format,
            filter: self.filter,
            service: self.service,
            function_name: self.function_name,
            function_version: self.function_version,
            writer,
        }
    }

    /// The line format this configuration writes.
    ///
    /// ```
    /// assert_eq!(ferrule_logger::LoggerConfig::new().log_format(), ferrule_logger::LogFormat::Text);
    /// ```
    pub fn log_format(&self) -> LogFormat {
        self.format
    }

    /// The value of the `service` key.
    ///
    /// ```
    /// assert_eq!(ferrule_logger::LoggerConfig::new().service_name(), "service_undefined");
    /// ```
    pub fn service_name(&self) -> &str {
        &self.service
    }
}

impl<W> LoggerConfig<W>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    /// A complete subscriber (registry, filter, Ferrule layer) without installing it:
    /// for tests with `tracing::subscriber::with_default`, or to install yourself.
    ///
    /// ```
    /// use ferrule_logger::{LogFormat, LoggerConfig};
    ///
    /// let subscriber = LoggerConfig::new().format(LogFormat::Json).into_subscriber();
    /// tracing::subscriber::with_default(subscriber, || {
    ///     tracing::info!(order_id = 42, "order placed");
    /// });
    /// ```
    pub fn into_subscriber(
        self,
    ) -> impl Subscriber + for<'a> LookupSpan<'a> + Send + Sync + 'static {
        Registry::default().with(self.into_layer())
    }

    /// The Ferrule layer with its filter applied to it alone, to add beside other
    /// layers (e.g. a tracer's) on one `tracing_subscriber` registry.
    ///
    /// The filter always lets lambda_runtime's invocation span through, so
    /// `requestId` is on every line even at `WARN` or with a narrow `RUST_LOG`.
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let layer = ferrule_logger::LoggerConfig::new().into_layer();
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// tracing::subscriber::with_default(subscriber, || tracing::info!("composed"));
    /// ```
    pub fn into_layer<S>(self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let layer = LambdaLogLayer::new(
            self.format,
            &self.service,
            self.function_name.as_deref(),
            self.function_version.as_deref(),
            self.writer,
        );
        layer.with_filter(self.filter.or(InvokeSpanFilter))
    }
}

impl<W> fmt::Debug for LoggerConfig<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerConfig")
            .field("format", &self.format)
            .field("filter", &format_args!("{}", self.filter))
            .field("service", &self.service)
            .field("function_name", &self.function_name)
            .field("function_version", &self.function_version)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<LoggerConfig, LoggerError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LoggerConfig::from_lookup(|name| vars.get(name).cloned())
    }

    fn filter_text(config: &LoggerConfig) -> String {
        config.filter.to_string()
    }

    #[test]
    fn defaults_match_lambda_defaults() {
        let config = from(&[]).unwrap();
        assert_eq!(config.format, LogFormat::Text);
        assert_eq!(filter_text(&config), "info");
        assert_eq!(config.service, "service_undefined");
        assert_eq!(config.function_name, None);
        assert_eq!(config.function_version, None);
        assert_eq!(filter_text(&LoggerConfig::new()), "info");
        assert_eq!(LoggerConfig::default().service, UNDEFINED_SERVICE);
    }

    #[test]
    fn format_is_read_in_any_case() {
        for (value, expected) in [
            ("JSON", LogFormat::Json),
            ("json", LogFormat::Json),
            ("Text", LogFormat::Text),
            ("TEXT", LogFormat::Text),
            ("", LogFormat::Text),
        ] {
            let config = from(&[(LOG_FORMAT_VAR, value)]).unwrap();
            assert_eq!(config.format, expected, "{value}");
        }
    }

    #[test]
    fn invalid_format_names_the_variable_and_value() {
        let error = from(&[(LOG_FORMAT_VAR, "xml")]).unwrap_err();
        assert_eq!(
            error,
            LoggerError::InvalidFormat {
                setting: "AWS_LAMBDA_LOG_FORMAT",
                value: "xml".into()
            }
        );
    }

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        for (value, expected) in [
            ("TRACE", "trace"),
            ("DEBUG", "debug"),
            ("INFO", "info"),
            ("WARN", "warn"),
            ("ERROR", "error"),
            ("FATAL", "error"),
            ("debug", "debug"),
        ] {
            let config = from(&[(LOG_LEVEL_VAR, value)]).unwrap();
            assert_eq!(filter_text(&config), expected, "{value}");
        }
    }

    #[test]
    fn invalid_level_names_the_variable_and_value() {
        let error = from(&[(LOG_LEVEL_VAR, "VERBOSE")]).unwrap_err();
        assert_eq!(
            error,
            LoggerError::InvalidLevel {
                setting: "AWS_LAMBDA_LOG_LEVEL",
                value: "VERBOSE".into()
            }
        );
    }

    #[test]
    fn rust_log_overrides_the_lambda_level_entirely() {
        // Even an invalid AWS_LAMBDA_LOG_LEVEL is ignored when RUST_LOG is set.
        let config = from(&[
            (RUST_LOG_VAR, "my_crate=debug,aws_smithy=warn"),
            (LOG_LEVEL_VAR, "NOPE"),
        ])
        .unwrap();
        let text = filter_text(&config);
        assert!(text.contains("my_crate=debug"), "{text}");
        assert!(text.contains("aws_smithy=warn"), "{text}");
    }

    #[test]
    fn invalid_rust_log_names_the_variable_and_value() {
        let error = from(&[(RUST_LOG_VAR, "my_crate=loud")]).unwrap_err();
        match error {
            LoggerError::InvalidFilter {
                setting,
                value,
                reason,
            } => {
                assert_eq!(setting, "RUST_LOG");
                assert_eq!(value, "my_crate=loud");
                assert!(!reason.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn service_name_falls_back_in_order() {
        let all = [
            (SERVICE_NAME_VAR, "ferrule-svc"),
            (POWERTOOLS_SERVICE_NAME_VAR, "pt-svc"),
            (FUNCTION_NAME_VAR, "fn-name"),
        ];
        assert_eq!(from(&all).unwrap().service, "ferrule-svc");
        assert_eq!(from(&all[1..]).unwrap().service, "pt-svc");
        assert_eq!(from(&all[2..]).unwrap().service, "fn-name");
        // An empty value counts as unset.
        let empty = [
            (SERVICE_NAME_VAR, ""),
            (POWERTOOLS_SERVICE_NAME_VAR, "pt-svc"),
        ];
        assert_eq!(from(&empty).unwrap().service, "pt-svc");
    }

    #[test]
    fn function_name_and_version_come_from_lambda() {
        let config = from(&[
            (FUNCTION_NAME_VAR, "orders-api"),
            (FUNCTION_VERSION_VAR, "$LATEST"),
        ])
        .unwrap();
        assert_eq!(config.function_name.as_deref(), Some("orders-api"));
        assert_eq!(config.function_version.as_deref(), Some("$LATEST"));
    }

    #[test]
    fn setters_replace_each_setting() {
        let config = LoggerConfig::new()
            .format(LogFormat::Json)
            .level(Level::WARN)
            .service("svc")
            .function_name("fn")
            .function_version("7")
            .writer(io::sink);
        assert_eq!(config.log_format(), LogFormat::Json);
        assert_eq!(config.filter.to_string(), "warn");
        assert_eq!(config.service_name(), "svc");
        assert_eq!(config.function_name.as_deref(), Some("fn"));
        assert_eq!(config.function_version.as_deref(), Some("7"));
        let debug = format!("{config:?}");
        assert!(debug.contains("Json") && debug.contains("warn"), "{debug}");
    }

    #[test]
    fn filter_setter_rejects_bad_directives() {
        let error = LoggerConfig::new().filter("x=nope").unwrap_err();
        assert!(matches!(
            error,
            LoggerError::InvalidFilter { setting: "LoggerConfig::filter", ref value, .. } if value == "x=nope"
        ));
        let ok = LoggerConfig::new().filter("debug").unwrap();
        assert_eq!(ok.filter.to_string(), "debug");
    }
}
