"""Validate the benchmark's ID-JAG with PyJWT and joserfc, with the same checks as ema
(typ, alg pinned to ES256, iss, aud, exp/iat, client_id, resource, jti), the key imported
once. Prints one JSON line per library: {"peer": ..., "median_ns": ...}."""

import json
import statistics
import sys
import time
from importlib.metadata import version

import jwt as pyjwt
from joserfc import jwt as jrfc_jwt
from joserfc.jwk import ECKey

fx = json.load(open(sys.argv[1]))
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
TOKEN, ISS, AUD, CLIENT, RES, TYP = (
    fx["token"], fx["issuer"], fx["audience"], fx["client_id"], fx["resource"], fx["typ"])

py_key = pyjwt.PyJWK(fx["jwk"]).key
py_decoder = pyjwt.PyJWT()


def pyjwt_validate():
    full = py_decoder.decode_complete(
        TOKEN, py_key, algorithms=["ES256"], audience=AUD, issuer=ISS,
        options={"require": ["exp", "iat", "jti", "sub"]})
    if full["header"].get("typ") != TYP:
        raise ValueError("typ")
    claims = full["payload"]
    if claims.get("client_id") != CLIENT or claims.get("resource") != RES:
        raise ValueError("client_id/resource")
    return claims


jr_key = ECKey.import_key(fx["jwk"])
jr_registry = jrfc_jwt.JWTClaimsRegistry(
    iss={"essential": True, "value": ISS},
    aud={"essential": True, "value": AUD},
    client_id={"essential": True, "value": CLIENT},
    resource={"essential": True, "value": RES},
    jti={"essential": True},
    sub={"essential": True},
    exp={"essential": True},
    iat={"essential": True},
)


def joserfc_validate():
    tok = jrfc_jwt.decode(TOKEN, jr_key, algorithms=["ES256"])
    if tok.header.get("typ") != TYP:
        raise ValueError("typ")
    jr_registry.validate(tok.claims)
    return tok.claims


def median_ns(fn):
    fn()
    # Size a repeat to about 0.2 s.
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.05:
        fn()
        n += 1
    n = max(10, n * 4)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter_ns() - t0) / n)
    return statistics.median(samples)


for name, fn in (("PyJWT " + version("PyJWT"), pyjwt_validate),
                 ("joserfc " + version("joserfc"), joserfc_validate)):
    print(json.dumps({"peer": name, "median_ns": median_ns(fn)}))
