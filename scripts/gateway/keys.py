"""A gateway's keys: one long-term development key pair, and the temporary keys + session tokens
its STS hands out (each valid until its expiry; `PARTWISE_STS_DURATION`, e.g. `5s`, makes every
session that long)."""

import os
import re
import secrets
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    access_key_id: str
    secret: str
    token: str | None = None  # None for the long-term key
    expires_at: float | None = None  # epoch seconds; None for the long-term key


def session_seconds(default=3600):
    """The STS session length: `PARTWISE_STS_DURATION` (`5s`, `2m`, `1h`) or `default`."""
    text = os.environ.get("PARTWISE_STS_DURATION", "")
    found = re.fullmatch(r"(\d+)([smh])", text)
    if not found:
        return default
    return int(found[1]) * {"s": 1, "m": 60, "h": 3600}[found[2]]


class Keyring:
    def __init__(self, access_key_id, secret):
        self.long_term = Key(access_key_id, secret)
        self._temporary = {}
        self._lock = threading.Lock()

    def assume_role(self, duration=None, now=None):
        """New temporary credentials lasting `duration` seconds (default: `session_seconds()`); the
        caller has checked the long-term key."""
        now = time.time() if now is None else now
        key = Key(
            "STS." + secrets.token_hex(8).upper(),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            now + (duration or session_seconds()),
        )
        with self._lock:
            self._temporary[key.access_key_id] = key
        return key

    def lookup(self, access_key_id):
        """The key with this id (long-term or temporary, expired or not), or None."""
        if access_key_id == self.long_term.access_key_id:
            return self.long_term
        with self._lock:
            return self._temporary.get(access_key_id)
