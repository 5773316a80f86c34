//! The emulator's floor. Every event is answered `{}` at once over one keep-alive
//! connection, with the standard library only: its round trip is what the emulator and
//! loopback HTTP cost, and its cold start is a process spawn plus one request. Every other
//! benchmark figure is read next to these.

use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let stream = TcpStream::connect(&api)?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        write!(
            writer,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n"
        )?;
        let headers = read_response(&mut reader)?;
        let id = header(&headers, "lambda-runtime-aws-request-id")
            .ok_or("the event came without Lambda-Runtime-Aws-Request-Id")?;
        write!(
            writer,
            "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: {api}\r\n\
             Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
        )?;
        read_response(&mut reader)?;
    }
}

/// Reads one HTTP/1.1 response (fixed length or chunked) and returns its header lines.
fn read_response(reader: &mut impl BufRead) -> Result<Vec<String>> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    if let Some(length) = header(&headers, "content-length") {
        skip(reader, length.parse()?)?;
    } else if header(&headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let size = usize::from_str_radix(read_line(reader)?.trim(), 16)?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while !read_line(reader)?.is_empty() {}
                break;
            }
            skip(reader, size + 2)?;
        }
    }
    Ok(headers)
}

fn read_line(reader: &mut impl BufRead) -> Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err("the Runtime API closed the connection".into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn skip(reader: &mut impl BufRead, bytes: usize) -> Result<()> {
    let mut body = vec![0; bytes];
    reader.read_exact(&mut body)?;
    Ok(())
}

fn header<'a>(headers: &'a [String], name: &str) -> Option<&'a str> {
    headers.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}
