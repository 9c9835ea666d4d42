"""TLS certificate verification: always on, unless switched off by a loudly named argument.

The API key rides on every request, so a connection whose certificate is not checked hands it to
anyone on the network path. `Kapso` builds its own pool with verification on and offers no
`verify=` switch; `insecure_skip_tls_verify=True` is the only way to turn it off, and it logs a
WARNING. A caller's own `http_client` built with `verify=False` is refused unless that same
argument is given, so the choice is never made by accident in someone else's setup code.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import TypeVar

import httpx

from kapso_platform._errors import ConfigurationError
from kapso_platform._logging import logger

INSECURE_ARGUMENT = "insecure_skip_tls_verify"

CallersClient = TypeVar("CallersClient", httpx.Client, httpx.AsyncClient)


def sync_pool(limits: httpx.Limits, *, insecure: bool) -> httpx.HTTPTransport:
    """The client's own connection pool, verifying certificates unless `insecure`."""
    _warn_if(insecure)
    return httpx.HTTPTransport(limits=limits, verify=not insecure)


def async_pool(limits: httpx.Limits, *, insecure: bool) -> httpx.AsyncHTTPTransport:
    """The async client's own connection pool, verifying certificates unless `insecure`."""
    _warn_if(insecure)
    return httpx.AsyncHTTPTransport(limits=limits, verify=not insecure)


def check_callers_client(client: CallersClient, *, insecure: bool) -> CallersClient:
    """`client` if it verifies certificates, or if the caller said `insecure` knowingly."""
    if verifies_certificates(client):
        return client
    if not insecure:
        raise ConfigurationError(
            "the http_client passed does not verify TLS certificates (verify=False or a context "
            "with CERT_NONE), which would expose the API key; build it with verification on, "
            f"or pass {INSECURE_ARGUMENT}=True to accept that risk knowingly"
        )
    _warn_if(insecure)
    return client


def verifies_certificates(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Whether every httpx pool of `client` checks certificates and host names.

    httpx keeps the SSL context on its pools without a public accessor; transports of other
    kinds (a mock, a proxy of the caller's own) are taken on trust.
    """
    return all(
        context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        for context in _ssl_contexts(client)
    )


def _ssl_contexts(client: httpx.Client | httpx.AsyncClient) -> Iterator[ssl.SSLContext]:
    mounts: dict[object, object] = getattr(client, "_mounts", {})
    for transport in [getattr(client, "_transport", None), *mounts.values()]:
        context = getattr(getattr(transport, "_pool", None), "_ssl_context", None)
        if isinstance(context, ssl.SSLContext):
            yield context


def _warn_if(insecure: bool) -> None:
    if insecure:
        logger.warning(
            "TLS certificate verification is OFF (%s=True): anyone on the network path can "
            "read the API key and the data sent",
            INSECURE_ARGUMENT,
        )
