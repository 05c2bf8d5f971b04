//! Sending a token request and reading the answer.

use ema_types::transport::{HttpClient, HttpResponse};
use ema_types::{ErrorResponse, Form, Secret, urn};
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::Authentication;
use crate::error::{Error, ErrorKind, Leg};

/// Largest token-endpoint response read, in bytes.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// POST `form` (with `auth` added) to `endpoint` and parse a 200 JSON body as `T`; any other
/// status becomes [`ErrorKind::OAuth`] when the body is an OAuth error, else
/// [`ErrorKind::HttpStatus`].
pub(crate) async fn post_token_request<T: DeserializeOwned>(
    http: &dyn HttpClient,
    leg: Leg,
    endpoint: &Url,
    mut form: Form,
    auth: Option<Authentication>,
) -> Result<T, Error> {
    let mut builder = http::Request::post(endpoint.as_str())
        .header(http::header::CONTENT_TYPE, urn::MEDIA_TYPE_FORM)
        .header(http::header::ACCEPT, urn::MEDIA_TYPE_JSON);
    if let Some(auth) = auth {
        crate::auth::write_params(&auth, &mut form);
        if let Some(value) = &auth.authorization {
            builder = builder.header(http::header::AUTHORIZATION, basic_header(leg, value)?);
        }
    }
    let body = Secret::new(form.encode());
    let request = builder
        .body(body.expose().as_bytes().to_vec())
        .map_err(|_| {
            Error::new(
                leg,
                ErrorKind::Config("the token endpoint is not a valid URI"),
            )
        })?;
    tracing::debug!(%leg, endpoint = %endpoint, "token request");
    let response = http
        .send(request)
        .await
        .map_err(|e| Error::new(leg, ErrorKind::Transport(e)))?;
    read_json(leg, &response)
}

fn basic_header(leg: Leg, value: &Secret) -> Result<http::HeaderValue, Error> {
    let mut v = http::HeaderValue::from_str(value.expose()).map_err(|_| {
        Error::new(
            leg,
            ErrorKind::Config("the Basic credentials are not a valid header value"),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Parse a token-endpoint response (RFC 6749 §5.1 / §5.2).
pub(crate) fn read_json<T: DeserializeOwned>(
    leg: Leg,
    response: &HttpResponse,
) -> Result<T, Error> {
    let status = response.status().as_u16();
    let body = response.body();
    if body.len() > MAX_TOKEN_RESPONSE_BYTES {
        return Err(Error::new(
            leg,
            ErrorKind::InvalidResponse("response body too large"),
        ));
    }
    if status == 200 {
        return serde_json::from_slice(body).map_err(|_| {
            Error::new(
                leg,
                ErrorKind::InvalidResponse("the success response is not the expected JSON"),
            )
        });
    }
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(response) => {
            tracing::debug!(%leg, status, error = %response.error.as_str(), "OAuth error response");
            Err(Error::new(leg, ErrorKind::OAuth { status, response }))
        }
        Err(_) => Err(Error::new(leg, ErrorKind::HttpStatus { status })),
    }
}
