//! Shared by the integration tests: a writer that keeps the lines, and timestamp checks.

#![allow(dead_code)]

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// Collects every line the logger writes.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(Arc::clone(&self.0))
    }
}

impl Capture {
    /// The lines written so far, each checked to end with a newline.
    pub fn lines(&self) -> Vec<String> {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert!(
            !text.contains(char::REPLACEMENT_CHARACTER),
            "not UTF-8: {text}"
        );
        assert!(text.is_empty() || text.ends_with('\n'), "{text}");
        text.lines().map(str::to_owned).collect()
    }
}

/// Asserts `timestamp` is `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn assert_timestamp(timestamp: &str) {
    assert_eq!(timestamp.len(), 24, "{timestamp}");
    for (i, c) in timestamp.chars().enumerate() {
        let expected = match i {
            4 | 7 => '-',
            10 => 'T',
            13 | 16 => ':',
            19 => '.',
            23 => 'Z',
            _ => {
                assert!(c.is_ascii_digit(), "{timestamp} at {i}");
                continue;
            }
        };
        assert_eq!(c, expected, "{timestamp} at {i}");
    }
}

/// Checks a JSON line's timestamp and replaces it by `TS`, so the rest of the
/// line (key order included) can be compared exactly.
pub fn json_without_timestamp(line: &str) -> String {
    let prefix = r#"{"timestamp":""#;
    assert!(line.starts_with(prefix), "{line}");
    let timestamp = &line[prefix.len()..prefix.len() + 24];
    assert_timestamp(timestamp);
    let parsed = serde_json::from_str::<serde_json::Value>(line);
    assert!(parsed.is_ok(), "not JSON: {line}");
    format!("{prefix}TS{}", &line[prefix.len() + 24..])
}

/// Checks a Text line's timestamp and replaces it by `TS`.
pub fn text_without_timestamp(line: &str) -> String {
    assert_timestamp(&line[..24]);
    format!("TS{}", &line[24..])
}
