//! The RFC 8252 §7.3 loopback redirect listener for command-line logins.

use std::time::Duration;

use ema_types::transport::TransportError;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, ErrorKind, Leg};

/// How long one connection may take to send its request.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(3);

/// Largest request head read from the browser.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signed in</title>\
</head><body><p>Sign-in complete. You can close this window.</p></body></html>";

/// Listens on `127.0.0.1` for the one redirect of a login.
///
/// ```no_run
/// # async fn run() -> Result<(), ema_client::Error> {
/// use std::time::Duration;
/// use ema_client::LoopbackListener;
/// let listener = LoopbackListener::bind(0, "/callback").await?;
/// let redirect_uri = listener.redirect_uri().to_owned(); // http://127.0.0.1:<port>/callback
/// // ... open the authorization URL built with `redirect_uri` in the browser ...
/// let query = listener.accept(Duration::from_secs(300)).await?;
/// # let _ = (redirect_uri, query); Ok(()) }
/// ```
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    path: String,
    redirect_uri: String,
}

fn io_error(what: &str, e: &std::io::Error) -> Error {
    Error::new(
        Leg::Login,
        ErrorKind::Transport(TransportError::Connect(format!("{what}: {e}"))),
    )
}

impl LoopbackListener {
    /// Bind `127.0.0.1:port` (`0`: any free port); the redirect URI is
    /// `http://127.0.0.1:<port><path>`.
    pub async fn bind(port: u16, path: &str) -> Result<Self, Error> {
        if !path.starts_with('/') || path.contains(['?', '#']) {
            return Err(Error::new(
                Leg::Login,
                ErrorKind::Config("the callback path must start with `/` and have no query"),
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| io_error("binding the loopback listener", &e))?;
        let port = listener
            .local_addr()
            .map_err(|e| io_error("reading the bound port", &e))?
            .port();
        Ok(Self {
            listener,
            path: path.to_owned(),
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
        })
    }

    /// The redirect URI to register and send.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Wait at most `timeout` for a `GET` of the callback path; answer it with a small HTML
    /// page and return its query string (pass it to `OidcLogin::complete`). Requests for
    /// other paths get a 404 and waiting goes on.
    pub async fn accept(self, timeout: Duration) -> Result<String, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept())
                .await
                .map_err(|_| {
                    Error::new(Leg::Login, ErrorKind::Transport(TransportError::Timeout))
                })?;
            let Ok((stream, _)) = accepted else {
                continue;
            };
            // A connection that sends nothing (a browser's speculative pre-connect) is given
            // up after a short while, so it cannot hold the login until the deadline.
            let per_connection = (tokio::time::Instant::now() + CONNECTION_TIMEOUT).min(deadline);
            if let Ok(Some(query)) =
                tokio::time::timeout_at(per_connection, self.handle(stream)).await
            {
                return Ok(query);
            }
        }
    }

    async fn handle(&self, mut stream: TcpStream) -> Option<String> {
        let mut head = Vec::with_capacity(1024);
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 || head.len() + n > MAX_REQUEST_HEAD {
                let _ = respond(&mut stream, "400 Bad Request", "bad request").await;
                return None;
            }
            head.extend_from_slice(buf.get(..n)?);
        }
        let line = head.split(|&b| b == b'\r').next()?;
        let line = std::str::from_utf8(line).ok()?;
        let mut parts = line.split(' ');
        let (method, target) = (parts.next()?, parts.next()?);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if method != "GET" || path != self.path {
            let _ = respond(&mut stream, "404 Not Found", "not found").await;
            return None;
        }
        let _ = respond(&mut stream, "200 OK", PAGE).await;
        Some(query.to_owned())
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
