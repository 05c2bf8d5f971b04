//! A throwaway `redis-server` on a free loopback port, killed on drop.
//!
//! When no `redis-server` binary exists the test FAILS with a loud message, unless
//! `EMA_SKIP_REDIS=1` is set (then it is skipped, loudly). CI installs redis-server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Start a server, or `None` when it is missing and `EMA_SKIP_REDIS=1`.
    pub(crate) fn start() -> Option<Self> {
        let binary =
            std::env::var("EMA_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let spawned = Command::new(&binary)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let msg = format!(
                    "\n\n!!!!!!!! REDIS TESTS NOT RUN: cannot start `{binary}`: {e}.\n\
                     !!!!!!!! Install it (apt-get install -y redis-server) or set EMA_SKIP_REDIS=1.\n\n"
                );
                if std::env::var("EMA_SKIP_REDIS").as_deref() == Ok("1") {
                    eprintln!("{msg}!!!!!!!! EMA_SKIP_REDIS=1: skipping.\n");
                    return None;
                }
                panic!("{msg}");
            }
        };
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if server.ping() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {port} did not answer PING within 10 s");
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
