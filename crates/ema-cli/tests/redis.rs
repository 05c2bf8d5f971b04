//! `as.replay = "redis://..."`: `ema serve` keeps single-use `jti`s in a real `redis-server`
//! (the flow works), and an unreachable Redis is a start-up error naming `as.replay`.
//! Like ema-server's Redis tests: fails loudly without `redis-server` unless
//! `EMA_SKIP_REDIS=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../ema-server/tests/replay_support/redis_server.rs"]
mod redis_server;

use std::process::{Command, Stdio};
use std::time::Duration;

const EXAMPLE: &str = include_str!("../../../examples/stack.toml");
const BIN: &str = env!("CARGO_BIN_EXE_ema");

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn config(port: u16, replay: &str) -> String {
    EXAMPLE
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace("replay = \"memory\"", &format!("replay = \"{replay}\""))
}

#[tokio::test]
async fn serve_with_a_redis_replay_store() {
    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("stack.toml");
    std::fs::write(&path, config(port, &redis.url())).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = healthy.then(|| {
        Command::new(BIN)
            .args([
                "token",
                "--server",
                &format!("{base}/mcp"),
                "--idp",
                &format!("{base}/idp"),
                "--login",
                "alice",
            ])
            .env("EMA_IDP_CLIENT", "desk:desk-secret")
            .env("EMA_AS_CLIENT", "desk-at-as:as-secret")
            .output()
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    let out = out.expect("ema serve with Redis replay did not become healthy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["token_type"], "Bearer");
}

#[test]
fn an_unreachable_redis_is_a_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.toml");
    let closed = free_port();
    std::fs::write(
        &path,
        config(free_port(), &format!("redis://127.0.0.1:{closed}")),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("as.replay: cannot connect to Redis"),
        "{stderr}"
    );
}
