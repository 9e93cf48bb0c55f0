"""Reads dataset versions and writes outputs at file://, s3:// and http(s):// URIs.

S3 goes through boto3 with the usual AWS_* credentials; MODELOPS_S3_ENDPOINT_URL points it at
an S3-compatible server. HTTP is read-only (datasets); outputs go to file:// or s3://.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .errors import ConfigError, StorageError


def _split(uri: str) -> tuple[str, str]:
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme in ("", "file"):
        # file:///abs/path, or a plain path for local runs.
        return "file", urllib.parse.unquote(parsed.path if parsed.scheme else uri)
    if parsed.scheme in ("s3", "http", "https"):
        return parsed.scheme, uri
    raise ConfigError("UnsupportedUri", f"URI scheme {parsed.scheme!r} of {uri!r} is not file, s3, http or https")


def _s3_client(endpoint_url: str | None):
    import boto3  # imported lazily: local runs need no AWS SDK configuration

    return boto3.client("s3", endpoint_url=endpoint_url)


def _bucket_key(uri: str) -> tuple[str, str]:
    parsed = urllib.parse.urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def fetch(uri: str, workdir: Path, s3_endpoint_url: str | None = None) -> Path:
    """Returns a local path holding the object at `uri` (downloaded into workdir if remote)."""
    scheme, where = _split(uri)
    if scheme == "file":
        path = Path(where)
        if not path.is_file():
            raise StorageError("DatasetNotFound", f"dataset file {path} does not exist")
        return path
    dest = workdir / ("dataset" + Path(urllib.parse.urlparse(uri).path).suffix)
    try:
        if scheme == "s3":
            bucket, key = _bucket_key(uri)
            _s3_client(s3_endpoint_url).download_file(bucket, key, str(dest))
        else:
            with urllib.request.urlopen(uri, timeout=60) as response, open(dest, "wb") as out:
                shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as e:
        raise StorageError("DatasetNotFound", f"GET {uri}: HTTP {e.code}") from None
    except Exception as e:  # noqa: BLE001 - any transport failure is reported the same way
        raise StorageError("DatasetUnreadable", f"cannot download {uri}: {e}") from None
    return dest


class Output:
    """The output location: a directory (file://) or a prefix (s3://) that files go under."""

    def __init__(self, uri: str, s3_endpoint_url: str | None = None):
        self.scheme, where = _split(uri)
        if self.scheme in ("http", "https"):
            raise ConfigError("UnsupportedUri", f"output URI {uri!r} must be file:// or s3://")
        self.uri = uri.rstrip("/")
        self._endpoint = s3_endpoint_url
        self._dir = Path(where) if self.scheme == "file" else None
        if self._dir is not None:
            self._dir.mkdir(parents=True, exist_ok=True)

    def uri_of(self, name: str) -> str:
        return f"{self.uri}/{name}"

    def write(self, name: str, data: bytes) -> str:
        """Writes atomically (a reader never sees half a file); returns the object's URI."""
        try:
            if self._dir is not None:
                target = self._dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                # mkstemp makes 0600 files; the server reading the model may run as another user.
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            else:
                bucket, key = _bucket_key(self.uri_of(name))
                _s3_client(self._endpoint).put_object(Bucket=bucket, Key=key, Body=data)
        except OSError as e:
            raise StorageError("OutputUnwritable", f"cannot write {self.uri_of(name)}: {e}") from None
        return self.uri_of(name)

    def read(self, name: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
        if self._dir is not None:
            path = self._dir / name
            return path.read_bytes() if path.is_file() else None
        bucket, key = _bucket_key(self.uri_of(name))
        client = _s3_client(self._endpoint)
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            return None
