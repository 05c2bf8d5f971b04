//! `ReqwestClient` over real HTTP on loopback: a general transport (any method, headers,
//! body), no redirects, deadline, body cap while streaming, scheme policy.

#![cfg(feature = "reqwest")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::time::Duration;

use ema_metadata::{ReqwestClient, SchemePolicy};
use ema_types::transport::{HttpClient, TransportError};
use support::{Origin, Reply, client, client_with_timeout};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn small_cap(bytes: usize) -> ReqwestClient {
    ReqwestClient::builder()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .max_body_bytes(bytes)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_any_request_and_returns_any_response() {
    let o = Origin::start().await;
    o.on(
        "/oauth/token",
        Reply::status(400)
            .header("content-type", "application/json")
            .header("cache-control", "no-store")
            .header("www-authenticate", "Basic realm=\"as\""),
    );
    let req = http::Request::post(o.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic ZGVzazpz")
        .body(b"grant_type=client_credentials".to_vec())
        .unwrap();
    let res = client().send(req).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"as\"");
    let seen = &o.seen()[0];
    assert_eq!(seen.method, http::Method::POST);
    assert_eq!(&seen.body[..], b"grant_type=client_credentials");
    assert_eq!(seen.headers["authorization"], "Basic ZGVzazpz");
    assert!(
        seen.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("ema-metadata/")
    );
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let o = Origin::start().await;
    o.on("/a", Reply::status(302).header("location", o.url("/b")));
    o.on("/b", Reply::json("{}"));
    let res = client()
        .send(http::Request::get(o.url("/a")).body(Vec::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(o.paths(), ["/a"]);
}

#[tokio::test]
async fn content_length_over_the_cap_is_refused() {
    let o = Origin::start().await;
    o.on("/big", Reply::json("x".repeat(2048)));
    o.on("/fits", Reply::json("x".repeat(1024)));
    let c = small_cap(1024);
    let get = |p: &str| http::Request::get(o.url(p)).body(Vec::new()).unwrap();
    assert_eq!(
        c.send(get("/big")).await.unwrap_err(),
        TransportError::BodyTooLarge { limit: 1024 }
    );
    assert_eq!(c.send(get("/fits")).await.unwrap().body().len(), 1024);
}

/// A raw server that streams a chunked body (no Content-Length) of `chunks` × 16 KiB.
async fn chunked_server(chunks: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 16 * 1024];
        for _ in 0..chunks {
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if sock.write_all(&frame).await.is_err() {
                return;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    });
    format!("http://{addr}/stream")
}

#[tokio::test]
async fn streamed_body_over_the_cap_is_cut_while_reading() {
    // 64 chunks of 16 KiB = 1 MiB, against a 256 KiB cap.
    let url = chunked_server(64).await;
    let err = client()
        .send(http::Request::get(url).body(Vec::new()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TransportError::BodyTooLarge {
            limit: ema_metadata::MAX_DOCUMENT_BYTES
        }
    );
    // Under the cap it is read in full.
    let url = chunked_server(4).await;
    let res = client()
        .send(http::Request::get(url).body(Vec::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.body().len(), 4 * 16 * 1024);
}

#[tokio::test]
async fn slow_response_times_out() {
    let o = Origin::start().await;
    o.on("/slow", Reply::json("{}").delayed(Duration::from_secs(2)));
    let err = client_with_timeout(Duration::from_millis(300))
        .send(http::Request::get(o.url("/slow")).body(Vec::new()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout);
}

#[tokio::test]
async fn scheme_policy_is_enforced_before_connecting() {
    let o = Origin::start().await;
    let strict = ReqwestClient::new().unwrap();
    let err = strict
        .send(http::Request::get(o.url("/x")).body(Vec::new()).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Refused(_)), "{err:?}");
    // Development mode allows http on loopback only; this name is never resolved.
    let err = client()
        .send(
            http::Request::get("http://as.example.invalid/x")
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Refused(_)), "{err:?}");
    assert!(o.paths().is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client()
        .send(
            http::Request::get(format!("http://{addr}/"))
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
}
