//! An in-memory writer, for tests that check what a handler emits.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

/// A cloneable `Write` keeping every byte in memory; give a clone to
/// [`MetricsBuilder::writer`](crate::MetricsBuilder::writer) and read the other.
///
/// ```
/// use ferrule_metrics::{MemoryWriter, Metrics, Unit};
///
/// let output = MemoryWriter::default();
/// let metrics = Metrics::builder().namespace("Shop").writer(output.clone()).build()?;
/// metrics.add_metric("OrdersPlaced", Unit::Count, 2)?;
/// metrics.flush()?;
/// assert_eq!(output.lines().len(), 1);
/// assert_eq!(output.documents()?[0]["OrdersPlaced"], 2.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryWriter {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl MemoryWriter {
    /// Everything written so far (invalid UTF-8 replaced).
    pub fn contents(&self) -> String {
        let bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The lines written so far, without their newline.
    pub fn lines(&self) -> Vec<String> {
        self.contents().lines().map(str::to_owned).collect()
    }

    /// Each line parsed as JSON: one EMF document per line.
    pub fn documents(&self) -> Result<Vec<Value>, serde_json::Error> {
        self.lines()
            .iter()
            .map(|line| serde_json::from_str(line))
            .collect()
    }

    /// Forgets what was written.
    pub fn clear(&self) {
        self.bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Write for MemoryWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_bytes() {
        let output = MemoryWriter::default();
        let mut writer = output.clone();
        writer.write_all(b"{\"a\":1}\n{\"b\":2}\n").unwrap();
        assert_eq!(output.lines(), vec!["{\"a\":1}", "{\"b\":2}"]);
        assert_eq!(output.documents().unwrap()[1]["b"], 2);
        output.clear();
        assert!(output.contents().is_empty());
    }

    #[test]
    fn a_line_that_is_not_json_is_an_error() {
        let output = MemoryWriter::default();
        output.clone().write_all(b"not json\n").unwrap();
        assert!(output.documents().is_err());
    }
}
