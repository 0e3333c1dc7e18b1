"""API keys, HMAC secrets and passwords: generated, hashed or encrypted, compared in constant time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

T = TypeVar("T")

API_KEY_PREFIX = "aw_"
_password_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_hmac_secret() -> str:
    return secrets.token_urlsafe(32)


def api_key_hash(api_key: str) -> str:
    # API keys carry 256 random bits, so a fast hash is enough and lets us look the key up by its hash.
    return hashlib.sha256(api_key.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class PasswordChecksBusy(RuntimeError):
    """More password checks are already waiting than the process takes on (HTTP 503)."""


def _lower_thread_priority() -> None:
    # Linux keeps a nice value per thread: hashing yields the CPU to the event loop answering webhooks.
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class PasswordHashing:
    """Argon2id off the event loop: a hash or verification takes about a quarter of a second of CPU, which
    on the loop would stall every other request (webhooks included) that long.

    At most `threads` run at once, on threads of their own at a lower CPU priority (argon2-cffi releases the
    GIL while it works); at most `max_waiting` more queue for them, and further ones are refused with
    `PasswordChecksBusy` rather than piling up.
    """

    # Verified instead of a real hash for unknown emails, so timing does not reveal which emails exist.
    _DUMMY_PASSWORD = "equalises the timing of unknown emails"  # noqa: S105 (not a credential)

    def __init__(self, threads: int = 1, max_waiting: int = 64) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lower_thread_priority
        )
        self._admitted = threads + max_waiting
        self._in_flight = 0
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True if `password` matches; `None` (no such user) costs the same and is False."""
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self._run(hash_password, self._DUMMY_PASSWORD)
            await self._run(verify_password, self._dummy_hash, password)
            return False
        return await self._run(verify_password, password_hash, password)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        if self._in_flight >= self._admitted:
            raise PasswordChecksBusy("too many sign-ins at once; try again in a moment")
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)
        finally:
            self._in_flight -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SecretBox:
    """Encrypts secrets at rest (Fernet: AES-128-CBC + HMAC) under a key derived from AW_SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"alert-whisperer secrets v1"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as err:
            raise ValueError("secret cannot be decrypted with the configured AW_SECRET_KEY") from err
