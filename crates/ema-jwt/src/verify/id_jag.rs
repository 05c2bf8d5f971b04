//! ID-JAG verification at the resource AS (§6 steps 4-16; IDJAG §4.4.1).

use ema_types::claims::IdJagClaims;
use ema_types::{Clock, Issuer, Resource, urn};

use super::TrustAnchor;
use super::rules::{self, ClaimRule, Shape, TypRule};
use crate::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use crate::error::{Error, ErrorKind, TokenKind};

/// Hard cap on an ID-JAG's lifetime, `exp` - `iat` (§6 step 14, IDP-16).
pub const ID_JAG_MAX_LIFETIME_SECS: u64 = 600;

pub(super) const CLAIMS: &[ClaimRule] = &[
    ("iss", Shape::String, true),
    ("sub", Shape::String, true),
    ("aud", Shape::StringOrStrings, true),
    ("client_id", Shape::String, true),
    ("jti", Shape::String, true),
    ("exp", Shape::Time, true),
    ("iat", Shape::Time, true),
    ("nbf", Shape::Time, false),
    ("resource", Shape::StringOrStrings, false),
    ("scope", Shape::Scope, false),
    ("auth_time", Shape::Time, false),
    ("acr", Shape::String, false),
    ("amr", Shape::Strings, false),
    ("email", Shape::String, false),
    ("tenant", Shape::String, false),
    ("aud_tenant", Shape::String, false),
    ("aud_sub", Shape::String, false),
    ("sub_id", Shape::Object, false),
    ("cnf", Shape::Object, false),
];
const _: () = assert!(CLAIMS.len() <= rules::MAX_RULES);

const KIND: TokenKind = TokenKind::IdJag;

fn err(kind: ErrorKind) -> Error {
    Error::for_token(KIND, kind)
}

/// Verifies ID-JAGs presented to one resource AS.
///
/// Bound at construction to the AS issuer (the only accepted `aud`, §6 step 11) and the
/// resources the AS serves (§6 step 16). Skew defaults to 60 s (max 300), lifetime cap to
/// 600 s, token size to 16 KiB.
///
/// ```
/// # use ema_jwt::{Algorithm, KeySet, SigningKey, mint::{IdJagMinter, IdJagGrant}, verify::{IdJagVerifier, TrustAnchor}};
/// # use ema_types::{ClientId, FixedClock, Issuer, Resource, SystemRandom};
/// # let idp_key = SigningKey::generate(Algorithm::ES256)?;
/// # let idp = Issuer::new("https://login.acme-idp.test")?;
/// # let as_issuer = Issuer::new("https://as.toolhub.test")?;
/// # let mcp = Resource::new("https://tools.toolhub.test/mcp")?;
/// # let clock = FixedClock::new(1_793_000_000);
/// # let minter = IdJagMinter::new(idp.clone(), idp_key.clone());
/// # let grant = IdJagGrant::new("00u8k2p9xq", as_issuer.clone(), ClientId::new("cli_42b19c")?)
/// #     .with_resource(mcp.clone());
/// # let id_jag = minter.mint(grant, &clock, &SystemRandom)?.token;
/// let idp_keys = KeySet::from_keys(vec![idp_key.verifying_key().clone()]);
/// let verifier = IdJagVerifier::new(as_issuer, [mcp]);
/// let unverified = verifier.decode(id_jag.expose())?;
/// // The caller looks the issuer up in its trust table (§6 step 7) and gets its keys (step 8).
/// assert_eq!(unverified.unverified_issuer(), Some("https://login.acme-idp.test"));
/// let anchor = TrustAnchor::new(idp.as_str(), &idp_keys, &[Algorithm::ES256]);
/// let claims = verifier.verify(unverified, &anchor, "cli_42b19c", &clock)?;
/// assert_eq!(claims.sub, "00u8k2p9xq");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct IdJagVerifier {
    audience: Issuer,
    resources: Vec<Resource>,
    allow_missing_resource: bool,
    skew: u64,
    max_lifetime: u64,
    max_token_bytes: usize,
}

impl IdJagVerifier {
    /// A verifier for the AS `audience` serving `resources`.
    #[must_use]
    pub fn new(audience: Issuer, resources: impl IntoIterator<Item = Resource>) -> Self {
        Self {
            audience,
            resources: resources.into_iter().collect(),
            allow_missing_resource: false,
            skew: rules::DEFAULT_SKEW_SECS,
            max_lifetime: ID_JAG_MAX_LIFETIME_SECS,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Set the clock skew (JWT-06; at most 300 s).
    pub fn with_skew(mut self, secs: u64) -> Result<Self, Error> {
        self.skew = rules::checked_skew(secs)?;
        Ok(self)
    }

    /// Lower the lifetime cap (1 to 600 s).
    pub fn with_max_lifetime(mut self, secs: u64) -> Result<Self, Error> {
        self.max_lifetime = rules::checked_lifetime(
            secs,
            ID_JAG_MAX_LIFETIME_SECS,
            "ID-JAG lifetime cap must be 1..=600 seconds",
        )?;
        Ok(self)
    }

    /// Accept an ID-JAG without `resource` (OQ-02 `allow_missing_resource`). Only possible
    /// when exactly one resource is configured; that resource is then implied.
    pub fn allow_missing_resource(mut self, allow: bool) -> Result<Self, Error> {
        if allow && self.resources.len() != 1 {
            return Err(ErrorKind::InvalidConfig(
                "allow_missing_resource needs exactly one configured resource",
            )
            .into());
        }
        self.allow_missing_resource = allow;
        Ok(self)
    }

    /// The AS issuer this verifier accepts as `aud`.
    #[must_use]
    pub fn audience(&self) -> &Issuer {
        &self.audience
    }

    /// §6 steps 4-5: structure, header rules, `typ` = `oauth-id-jag+jwt`.
    pub fn decode<'t>(&self, token: &'t str) -> Result<UnverifiedJws<'t>, Error> {
        let jws = UnverifiedJws::decode(token, self.max_token_bytes).map_err(err)?;
        rules::check_typ(jws.header(), TypRule::Required(urn::JOSE_TYPE_ID_JAG)).map_err(err)?;
        Ok(jws)
    }

    /// §6 steps 6-16 for a token from [`IdJagVerifier::decode`], the issuer's `anchor` (looked
    /// up from the unverified `iss`), and the client id the AS authenticated (step 12).
    pub fn verify(
        &self,
        jws: UnverifiedJws<'_>,
        anchor: &TrustAnchor<'_>,
        authenticated_client_id: &str,
        clock: &dyn Clock,
    ) -> Result<IdJagClaims, Error> {
        self.check(&jws, anchor, authenticated_client_id, clock.now_unix())
            .map_err(err)?;
        rules::into_typed(jws.into_claims()).map_err(err)
    }

    fn check(
        &self,
        jws: &UnverifiedJws<'_>,
        anchor: &TrustAnchor<'_>,
        client_id: &str,
        now: u64,
    ) -> Result<(), ErrorKind> {
        let header = jws.header();
        let claims = jws.claims();
        rules::check_typ(header, TypRule::Required(urn::JOSE_TYPE_ID_JAG))?; // 5 (JWT-03)
        rules::check_algorithm(header, anchor.algorithms)?; // 6
        rules::check_issuer(claims, anchor.issuer)?; // 7
        rules::check_signature(header, anchor.keys, jws.signing_input(), jws.signature())?; // 8-9
        rules::check_claim_shapes(claims, CLAIMS)?; // 10
        rules::check_single_audience(claims, self.audience.as_str(), None)?; // 11
        if claims.get("client_id").and_then(|v| v.as_str()) != Some(client_id) {
            return Err(ErrorKind::ClientIdMismatch); // 12
        }
        rules::check_times(claims, now, self.skew)?; // 13
        rules::check_lifetime(claims, self.max_lifetime)?; // 14
        if let Some(tenant) = anchor.tenant {
            // 15
            if claims.get("tenant").and_then(|v| v.as_str()) != Some(tenant) {
                return Err(ErrorKind::InvalidClaim("tenant"));
            }
        }
        let resources = rules::strings_of(claims, "resource"); // 16
        if resources.count() == 0 {
            if !self.allow_missing_resource {
                return Err(ErrorKind::MissingResource);
            }
        } else if !resources.iter().all(|r| {
            self.resources
                .iter()
                .any(|served| served.matches_presented(r))
        }) {
            return Err(ErrorKind::ResourceMismatch);
        }
        Ok(())
    }
}
