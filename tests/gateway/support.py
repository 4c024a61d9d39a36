"""What the gateway tests share: the running gateways' addresses and keys (the
PARTWISE_LOCAL_<S>_* variables scripts/gateways.sh exports), temporary keys from a gateway's STS,
the signing vectors, and the gateway modules themselves for tests that call a dialect directly."""

import json
import os
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "gateway"))


def service(name):
    """{endpoint, bucket, access_key, secret_key} of the running `name` gateway (oss, obs, nos, ks3)."""
    prefix = f"PARTWISE_LOCAL_{name.upper()}_"
    values = {k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}
    if "endpoint" not in values:
        raise RuntimeError(f"{prefix}ENDPOINT is not set: start the gateways (scripts/gateways.sh start DIR)")
    return values


def temporary_keys(name):
    """Fresh temporary credentials from the gateway's STS: {accessKeyId, secretAccessKey, sessionToken, expiration}."""
    s = service(name)
    body = json.dumps({"accessKeyId": s["access_key"], "secretAccessKey": s["secret_key"]}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{s['endpoint']}/_sts", body, method="POST")) as answer:
        return json.load(answer)


def vectors(scheme):
    """The signing vector cases of a scheme (tests/vectors/<scheme>.json)."""
    return json.loads((ROOT / "tests" / "vectors" / f"{scheme}.json").read_text())["cases"]
