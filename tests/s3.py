"""A real S3 API on loopback for the tests: moto's standalone server, started by the test that
needs it on a free 127.0.0.1 port (in a thread of the test process; other processes reach it
too, by its URL).

``s3_environment`` gives the variables a deployment would set (README, "Object storage"), so
tests build their settings with the same code production does
(``marketplace.storage.upload_storage``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

BUCKET = "kaaj-uploads"


@contextmanager
def s3_server() -> Iterator[str]:
    """An S3 server for the duration of the ``with``; yields its endpoint URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_environment(endpoint_url: str, bucket: str = BUCKET) -> dict[str, str]:
    """The object storage variables for a bucket on ``endpoint_url`` (moto takes any keys)."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "kaaj-test",
        "AWS_SECRET_ACCESS_KEY": "kaaj-test-secret",
        "AWS_S3_REGION_NAME": "us-east-1",
    }


def s3_client(environment: dict[str, str]):
    """A plain boto3 client for what the variables name: to make the bucket, list it, read it."""
    return boto3.client(
        "s3",
        endpoint_url=environment["AWS_S3_ENDPOINT_URL"],
        region_name=environment["AWS_S3_REGION_NAME"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )


def bucket_keys(client, bucket: str = BUCKET) -> set[str]:
    """Every object key in the bucket."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}
