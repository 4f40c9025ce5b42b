//! `apiarist probe <url>`: a container healthcheck without curl in the image. One
//! HTTP/1.1 GET over plain TCP with a deadline; healthy means a 2xx status.

use std::{
    fmt,
    io::{Read, Write},
    net::{TcpStream, ToSocketAddrs},
    time::{Duration, Instant},
};

/// Why a probe failed.
#[derive(Debug)]
pub enum ProbeError {
    /// The URL is not `http://host[:port]/path`.
    Url(String),
    /// No connection, or no complete answer in time.
    Io(std::io::Error),
    /// The service answered with a status other than 2xx.
    Status(u16, String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Url(url) => write!(f, "not an http://host[:port]/path URL: {url}"),
            ProbeError::Io(e) => write!(f, "no answer: {e}"),
            ProbeError::Status(status, line) => write!(f, "unhealthy: {status} ({line})"),
        }
    }
}

impl std::error::Error for ProbeError {}

impl From<std::io::Error> for ProbeError {
    fn from(e: std::io::Error) -> Self {
        ProbeError::Io(e)
    }
}

/// GETs `url`; `Ok(status line)` on a 2xx answer within `timeout`.
///
/// ```no_run
/// let line = apiarist_cli::probe::probe("http://127.0.0.1:8001/readyz", std::time::Duration::from_secs(3))?;
/// assert!(line.starts_with("HTTP/1.1 200"));
/// # Ok::<(), apiarist_cli::probe::ProbeError>(())
/// ```
pub fn probe(url: &str, timeout: Duration) -> Result<String, ProbeError> {
    let deadline = Instant::now() + timeout;
    let (host, port, path) = split(url).ok_or_else(|| ProbeError::Url(url.to_owned()))?;
    let addr = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| ProbeError::Url(url.to_owned()))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    let remaining = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    stream.set_write_timeout(Some(remaining()))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: apiarist-probe\r\nConnection: close\r\n\r\n"
    )?;
    // Only the status line matters; read until it is complete.
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.contains(&b'\n') {
        stream.set_read_timeout(Some(remaining()))?;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default().trim().to_owned();
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| {
            ProbeError::Io(std::io::Error::other(format!(
                "not an HTTP answer: {line:?}"
            )))
        })?;
    if (200..300).contains(&status) {
        Ok(line)
    } else {
        Err(ProbeError::Status(status, line))
    }
}

/// `http://host:port/path` -> (host, port, path); port 80 and path `/` by default.
fn split(url: &str) -> Option<(&str, u16, &str)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (authority, 80),
    };
    (!host.is_empty()).then_some((host, port, path))
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            split("http://127.0.0.1:8001/readyz"),
            Some(("127.0.0.1", 8001, "/readyz"))
        );
        assert_eq!(split("http://svc"), Some(("svc", 80, "/")));
        assert_eq!(split("https://svc/"), None);
        assert_eq!(split("http://:80/"), None);
        assert_eq!(split("http://svc:x/"), None);
    }
}
