"""Starts the local OSS, OBS, NOS and KS3 gateways in front of the SeaweedFS the PARTWISE_TEST_*
variables name, each on a free loopback port (or PARTWISE_GATEWAY_PORT, PORT+1, …), with its own
bucket in SeaweedFS and its own development keys; prints `export PARTWISE_LOCAL_<S>_…=…` lines,
then `ready`, and serves until stopped."""

import importlib
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gateway import Gateway, serve  # noqa: E402
from keys import Keyring  # noqa: E402
from store import Store  # noqa: E402

DIALECTS = ("oss", "obs", "nos", "ks3")


def main():
    env = os.environ
    store = Store(env["PARTWISE_TEST_ENDPOINT"], env["PARTWISE_TEST_ACCESS_KEY"], env["PARTWISE_TEST_SECRET_KEY"])
    base = int(env.get("PARTWISE_GATEWAY_PORT", "0"))
    only = [d for d in env.get("PARTWISE_GATEWAYS", ",".join(DIALECTS)).split(",") if d]
    for i, name in enumerate(only):
        dialect = importlib.import_module(f"dialects.{name}").Dialect()
        bucket = f"partwise-{name}"
        store.create_bucket(bucket)
        access_key, secret = f"{name}-dev-key", f"{name}-dev-secret-0123456789"
        server = serve(Gateway(dialect, store, Keyring(access_key, secret)), base + i if base else 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        prefix = f"PARTWISE_LOCAL_{name.upper()}"
        print(f"export {prefix}_ENDPOINT=http://127.0.0.1:{server.server_address[1]}")
        print(f"export {prefix}_BUCKET={bucket}")
        print(f"export {prefix}_ACCESS_KEY={access_key}")
        print(f"export {prefix}_SECRET_KEY={secret}")
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
