"""PyJWT comparator for benches/launch.rs: RS256 decode of the same id_tokens with the same
claim checks as lti's LaunchValidator (signature, iss, aud/azp, exp/iat with 60 s leeway,
nonce bound to the state and not replayed, version, message type, deployment, sub, roles,
resource_link.id, target_link_uri). Prints the median microseconds per launch.

usage: pyjwt_launch.py <dir with tokens.json and public.pem> <rounds>
"""

import json
import statistics
import sys
import time

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

ISSUER = "http://127.0.0.1:8081"
CLIENT_ID = "9jaP3Q6PNFuPzAg"
DEPLOYMENTS = {"1"}
L = "https://purl.imsglobal.org/spec/lti/claim/"
SUPPORTED = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def validate(token, key, expected_nonce, seen):
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=ISSUER,
        leeway=60,
        options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
    )
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and "azp" not in claims:
        raise ValueError("azp missing")
    if "azp" in claims and claims["azp"] != CLIENT_ID:
        raise ValueError("azp mismatch")
    nonce = claims["nonce"]
    if nonce in seen:
        raise ValueError("nonce replayed")
    seen.add(nonce)
    if nonce != expected_nonce:
        raise ValueError("nonce mismatch")
    if claims.get(L + "version") != "1.3.0":
        raise ValueError("version")
    if claims.get(L + "message_type") not in SUPPORTED:
        raise ValueError("message type")
    if claims.get(L + "deployment_id") not in DEPLOYMENTS:
        raise ValueError("deployment")
    if not claims.get("sub"):
        raise ValueError("sub")
    if not isinstance(claims.get(L + "roles"), list):
        raise ValueError("roles")
    if not (claims.get(L + "resource_link") or {}).get("id"):
        raise ValueError("resource_link.id")
    if not claims.get(L + "target_link_uri"):
        raise ValueError("target_link_uri")
    return claims


def main():
    directory, rounds = sys.argv[1], int(sys.argv[2])
    with open(f"{directory}/tokens.json") as f:
        cases = json.load(f)
    with open(f"{directory}/public.pem", "rb") as f:
        key = load_pem_public_key(f.read())
    results = []
    for _ in range(rounds):
        seen = set()
        start = time.perf_counter()
        for case in cases:
            validate(case["token"], key, case["nonce"], seen)
        results.append((time.perf_counter() - start) * 1e6 / len(cases))
    print(f"{statistics.median(results):.2f}")


if __name__ == "__main__":
    main()
