//! `ema keygen`: a fresh signing key as PKCS#8 PEM (mode 0600), and its public JWK on stdout.

use std::io::Write;
use std::path::Path;

use ema_jwt::{Algorithm, SigningKey};

/// Generate a key for `alg`, write it to `out` (never over an existing file unless `force`)
/// and return the public JWK as JSON.
pub(crate) fn run(
    alg: Algorithm,
    out: &Path,
    kid: Option<&str>,
    force: bool,
) -> Result<String, String> {
    let mut key =
        SigningKey::generate(alg).map_err(|e| format!("cannot generate a {alg} key: {e}"))?;
    if let Some(kid) = kid {
        key = key.with_kid(kid);
    }
    let pem = key
        .to_pkcs8_pem()
        .map_err(|e| format!("cannot encode the key: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict {}: {e}", out.display()))?;
    }
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let mut jwk = serde_json::to_value(key.verifying_key().to_jwk())
        .map_err(|e| format!("cannot encode the public JWK: {e}"))?;
    if let Some(map) = jwk.as_object_mut() {
        map.entry("use").or_insert_with(|| "sig".into());
    }
    serde_json::to_string_pretty(&jwk).map_err(|e| format!("cannot encode the public JWK: {e}"))
}
