//! Metadata documents as received: RFC 8414 authorization-server metadata (also the OpenID
//! Connect `openid-configuration` of an IdP) and RFC 9728 protected-resource metadata, then
//! validation on receipt (META-03, META-05) and the CL-06 ID-JAG support check.
//!
//! Property: a parsed document serializes and parses to an equal document; validation and
//! the capability queries never panic.
#![no_main]

use ema_metadata::well_known::protected_resource_metadata_candidates;
use ema_metadata::{AuthorizationServerMetadata, ProtectedResourceMetadata, ValidationPolicy};
use ema_types::{Issuer, Resource, urn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = AuthorizationServerMetadata::from_json(data) {
        let json = doc.to_json().expect("serializes");
        let again = AuthorizationServerMetadata::from_json(&json).expect("own output parses");
        assert_eq!(again, doc);
        for policy in [ValidationPolicy::strict(), ValidationPolicy::development()] {
            let _ = doc.validate(&doc.issuer, &policy);
            if let Ok(other) = Issuer::new("https://as.toolhub.test") {
                let _ = doc.validate(&other, &policy);
            }
        }
        let _ = doc.check_id_jag_support();
        let _ = doc.supports_id_jag();
        let _ = doc.advertises_id_jag_token_exchange();
        let _ = doc.supports_grant_type(urn::GRANT_TYPE_JWT_BEARER);
        let _ = doc.supports_token_endpoint_auth_method("private_key_jwt");
    }
    if let Ok(doc) = ProtectedResourceMetadata::from_json(data) {
        let json = doc.to_json().expect("serializes");
        let again = ProtectedResourceMetadata::from_json(&json).expect("own output parses");
        assert_eq!(again, doc);
        let _ = doc.well_known_url();
        let _ = doc.well_known_path();
        let _ = doc.root_url_is_distinct();
        if let Ok(requested) = Resource::new("https://tools.toolhub.test/mcp")
            && let Ok(candidates) = protected_resource_metadata_candidates(&requested, None)
        {
            for candidate in &candidates {
                let _ = doc.validate(candidate, &ValidationPolicy::strict());
                let _ = doc.validate(candidate, &ValidationPolicy::development());
            }
        }
    }
});
