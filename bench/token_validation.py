"""What validating an Entra access token costs the API per request: µs per token, v1.0 and v2.0,
first seen and sent again (the pane reuses a token for its hour).

Baseline in the same run: PyJWT's bare RS256 verify of the same token with the key in hand (no
issuer, audience, tenant or scope rules, no key lookup). Tokens come from the stand-in Entra
(graph_sync/fake/entra.py), minted claim for claim as Entra issues them; the keys are served to the
validator in-process (no network), so the figure is the validator's own work.

Usage: .venv/bin/python bench/token_validation.py [--tokens 2000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import jwt

    from addin.config import Config
    from addin.tokens import EntraAuthenticator, JwksCache
    from graph_sync.fake.entra import EntraApp, StandinEntra

    tenant, client_id = "72f988bf-86f1-41af-91ab-2d7cd011db47", "11111111-2222-3333-4444-555555555555"
    entra = StandinEntra()
    fetches = []

    def fetch(url, timeout):
        fetches.append(url)
        return entra.jwks()

    rows = []
    for version in (1, 2):
        app = entra.add_app(EntraApp(client_id=client_id, secret="s", home_tenant=tenant,
                                     app_id_uri=f"api://{client_id}", token_version=version))
        user = entra.add_user(tenant, f"user{version}@contoso.com", "A user")
        config = Config(auth_mode="entra", client_id=client_id, tenant_id=tenant)
        validator = EntraAuthenticator(config, keys=JwksCache("https://keys.invalid", fetch=fetch))
        tokens = [entra.api_token(app, user, version=version) for _ in range(args.tokens)]
        validator.validate(tokens[0])  # first use fetches the keys
        start = time.perf_counter()
        for token in tokens:
            validator.validate(token)
        ours = (time.perf_counter() - start) / len(tokens) * 1e6
        key = entra.keys[0].private.public_key()
        start = time.perf_counter()
        for token in tokens:
            jwt.decode(token, key=key, algorithms=["RS256"], options={"verify_aud": False, "verify_iss": False})
        bare = (time.perf_counter() - start) / len(tokens) * 1e6
        start = time.perf_counter()
        for _ in tokens:  # the pane's next calls with the token it already sent
            validator.validate(tokens[0])
        again = (time.perf_counter() - start) / len(tokens) * 1e6
        rows.append((f"v{version}.0", ours, bare))
        rows.append((f"v{version}.0 again", again, bare))
    print(f"{'token':<12} {'Dealpane µs':>12} {'bare PyJWT µs':>14} {'ratio':>6}")
    for name, ours, bare in rows:
        print(f"{name:<12} {ours:>12.1f} {bare:>14.1f} {ours / bare:>6.2f}")
    print(f"key fetches: {len(fetches)} (one per validator) for {2 * args.tokens + 2} validations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
