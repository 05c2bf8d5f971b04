//! CL-20: no token, assertion or secret in the crate's log events.

#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use ema_client::{
    ClientAuthMethod, ClientCredentials, IdentityProvider, StaticIdToken, TokenSource,
};
use ema_types::{ClientId, Secret};
use support::{AS_CLIENT, Config, IDP_CLIENT, IdpMode, SUBJECT, World};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event of `ema_client`, fields included, as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut out = self.0.lock().unwrap();
        span.record(&mut Text(&mut out));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Text(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().target().starts_with("ema_client") {
            let mut out = self.0.lock().unwrap();
            out.push('\n');
            event.record(&mut Text(&mut out));
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn cl_20_no_secret_in_log_events() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());

    // A run that logs: discovery retried, subject token rejected, errors.
    let w = World::start(Config {
        prm_failures: 1,
        idp_mode: IdpMode::OnlySubject("never".into()),
        ..Config::default()
    })
    .await;
    let idp = IdentityProvider::new(
        w.idp_issuer(),
        ClientCredentials::new(
            ClientId::new(IDP_CLIENT).unwrap(),
            ClientAuthMethod::SecretBasic(Secret::new("idp-secret")),
        ),
    );
    let source = TokenSource::builder(World::http(), StaticIdToken::new(Secret::new(SUBJECT)), idp)
        .authorization_server(
            w.as_issuer(),
            ClientCredentials::new(
                ClientId::new(AS_CLIENT).unwrap(),
                ClientAuthMethod::SecretPost(Secret::new("as-secret")),
            ),
        )
        .clock(w.clock.clone())
        .config(World::config())
        .build();
    assert!(source.access_token(&w.server()).await.is_err());
    w.state().config.idp_mode = IdpMode::Normal;
    let token = source.access_token(&w.server()).await.unwrap();

    let logged = capture.0.lock().unwrap().clone();
    assert!(logged.contains("discovery failed; retrying"), "{logged}");
    assert!(logged.contains("token request"), "{logged}");
    let id_jag = w.redemptions()[0].param("assertion").unwrap();
    for secret in [
        SUBJECT,
        "idp-secret",
        "as-secret",
        token.token.expose(),
        id_jag.as_str(),
    ] {
        assert!(
            !logged.contains(secret),
            "CL-20: `{secret}` logged:\n{logged}"
        );
    }
}
