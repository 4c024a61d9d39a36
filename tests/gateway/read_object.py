"""Writes an object of a local service gateway to stdout, read by the vendor's own SDK client with
the gateway's long-term key — how the browser tests check what partwise stored:

    read_object.py <oss|obs|nos|ks3> KEY"""

import socket
import sys
from urllib.parse import urlsplit

import support


def read_oss(s, key):
    import alibabacloud_oss_v2 as oss

    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(s["access_key"], s["secret_key"])
    config.region, config.endpoint, config.use_path_style = "cn-hangzhou", s["endpoint"], True
    return oss.Client(config).get_object(oss.GetObjectRequest(bucket=s["bucket"], key=key)).body.read()


def read_obs(s, key):
    import obs

    # The SDK's native signature needs virtual-hosted addressing: `<bucket>.localhost`, resolved here.
    resolve = socket.getaddrinfo
    socket.getaddrinfo = lambda host, *rest, **kw: resolve(
        "127.0.0.1" if str(host).endswith(".localhost") else host, *rest, **kw
    )
    client = obs.ObsClient(
        access_key_id=s["access_key"],
        secret_access_key=s["secret_key"],
        server=f"http://localhost:{urlsplit(s['endpoint']).port}",
        is_signature_negotiation=False,
        max_retry_count=0,
    )
    answer = client.getObject(s["bucket"], key, loadStreamInMemory=True)
    if answer.status >= 300:
        raise RuntimeError(f"{answer.status} {answer.errorCode}: {answer.errorMessage}")
    return answer.body.buffer or b""


def read_nos(s, key):
    from test_nos import sdk_client  # the SDK client with its loopback connection

    return sdk_client(s["access_key"], s["secret_key"]).get_object(s["bucket"], key)["body"].read()


def read_ks3(s, key):
    from ks3.connection import Connection, PathCallingFormat

    address = urlsplit(s["endpoint"])
    connection = Connection(
        s["access_key"],
        s["secret_key"],
        host=address.hostname,
        port=address.port,
        calling_format=PathCallingFormat(),
        enable_crc=True,
    )
    return connection.get_bucket(s["bucket"]).get_key(key).get_contents_as_string()


READERS = {"oss": read_oss, "obs": read_obs, "nos": read_nos, "ks3": read_ks3}

if __name__ == "__main__":
    name, key = sys.argv[1:3]
    sys.stdout.buffer.write(READERS[name](support.service(name), key))
