"""`Kapso` and `AsyncKapso`: the configured clients users hold.

Each wraps one generated `Client` whose httpx client gets, through `httpx_args`, the API-key
auth, the retry transport, a timeout that is never "none", and redirects turned off (a redirect
could carry the key to another host). Requests go out through the generated operations'
`_get_kwargs`, and answers are checked by `_responses` before generated parsing sees them.

`with_options` makes a sibling client over the same connection pool; only the client that
created the pool closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from types import ModuleType, TracebackType
from typing import Any, Self

import httpx
from kapso_platform_api_client import Client

from kapso_platform._auth import ApiKeyAuth
from kapso_platform._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_POOL_LIMITS,
    USER_AGENT,
    ClientConfig,
    TimeoutArg,
    check_max_retries,
    resolve_config,
    to_timeout,
)
from kapso_platform._contacts import AsyncContacts, Contacts
from kapso_platform._logging import configure_from_env, watch_base_url
from kapso_platform._operations import operation_name, parse_success, request_kwargs
from kapso_platform._pagination import PageWalker
from kapso_platform._responses import connection_error, raise_for_status
from kapso_platform._retries import (
    MAX_RETRIES_EXTENSION,
    AsyncRetryTransport,
    Clock,
    RetryPolicy,
    RetryTransport,
    SystemClock,
)
from kapso_platform._tls import async_pool, check_callers_client, sync_pool

__all__ = ["AsyncKapso", "Kapso"]


class _UserClientTransport(httpx.BaseTransport):
    """Sends through a caller's `httpx.Client` (its proxies, TLS, mounts); never closes it."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send with the caller's client, never following a redirect."""
        return self._client.send(request, follow_redirects=False)


class _AsyncUserClientTransport(httpx.AsyncBaseTransport):
    """Sends through a caller's `httpx.AsyncClient`; never closes it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send with the caller's client, never following a redirect."""
        return await self._client.send(request, follow_redirects=False)


class _BaseKapso:
    """What both clients share: settings, the generated client, the request recipe."""

    _config: ClientConfig
    _clock: Clock
    _owns_pool: bool
    generated: Client

    def _configure(self, config: ClientConfig, clock: Clock | None, owns_pool: bool) -> None:
        self._config = config
        self._clock = clock or SystemClock()
        self._owns_pool = owns_pool
        watch_base_url(config.base_url)
        configure_from_env()

    def _generated_client(
        self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport
    ) -> Client:
        return Client(
            base_url=self._config.base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=self._config.timeout,
            follow_redirects=False,
            httpx_args={"transport": transport, "auth": ApiKeyAuth(self._config.api_key)},
        )

    def _policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self._config.max_retries)

    def _derived_config(self, timeout: TimeoutArg, max_retries: int | None) -> ClientConfig:
        return replace(
            self._config,
            timeout=to_timeout(timeout, self._config.timeout),
            max_retries=self._config.max_retries
            if max_retries is None
            else check_max_retries(max_retries),
        )

    def _build_request(
        self, client: httpx.Client | httpx.AsyncClient, kwargs: dict[str, Any], **options: Any
    ) -> httpx.Request:
        timeout, max_retries = options["timeout"], options["max_retries"]
        extensions = {} if max_retries is None else {MAX_RETRIES_EXTENSION: max_retries}
        if max_retries is not None:
            check_max_retries(max_retries)
        return client.build_request(
            **kwargs, timeout=to_timeout(timeout, self._config.timeout), extensions=extensions
        )

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried by default."""
        return self._config.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        """The default timeout of every request."""
        return self._config.timeout

    @property
    def default_region(self) -> str | None:
        """The region assumed for phone numbers written without a leading `+`."""
        return self._config.default_region

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries}, "
            f"timeout={self.timeout!r}, default_region={self.default_region!r})"
        )


class Kapso(_BaseKapso):
    """Client for the Kapso Platform API: `Kapso()` reads KAPSO_API_KEY and KAPSO_BASE_URL.

    `http_client` lends the transport side of your own `httpx.Client` (proxies, TLS, mounts);
    the base URL, headers, key and timeout still come from this client, and yours is never
    closed by it. `clock` replaces real sleeping and time, for tests. TLS certificates are
    always verified; only `insecure_skip_tls_verify=True` turns that off (with a WARNING log).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutArg = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_region: str | None = None,
        allow_insecure_http: bool = False,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        insecure_skip_tls_verify: bool = False,
    ) -> None:
        config = resolve_config(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_region=default_region,
            allow_insecure_http=allow_insecure_http,
        )
        pool: httpx.BaseTransport = (
            sync_pool(DEFAULT_POOL_LIMITS, insecure=insecure_skip_tls_verify)
            if http_client is None
            else _UserClientTransport(
                check_callers_client(http_client, insecure=insecure_skip_tls_verify)
            )
        )
        self._start(config, pool, clock, owns_pool=True)

    def _start(
        self, config: ClientConfig, pool: httpx.BaseTransport, clock: Clock | None, owns_pool: bool
    ) -> None:
        self._configure(config, clock, owns_pool)
        self._pool = pool
        transport = RetryTransport(pool, self._policy(), clock=self._clock, owns_inner=owns_pool)
        self.generated = self._generated_client(transport)
        self._http = self.generated.get_httpx_client()
        self.contacts = Contacts(self)

    def with_options(self, *, timeout: TimeoutArg = None, max_retries: int | None = None) -> Kapso:
        """A client with other defaults over the same connection pool (None keeps a setting)."""
        sibling = object.__new__(type(self))
        sibling._start(
            self._derived_config(timeout, max_retries), self._pool, self._clock, owns_pool=False
        )
        return sibling

    def call(self, operation: ModuleType, **parameters: Any) -> Any:
        """Run any generated operation module; return its parsed success value or raise."""
        response = self._send(request_kwargs(operation, parameters))
        return parse_success(operation, self.generated, response)

    def paginate(self, operation: ModuleType, **parameters: Any) -> Iterator[Any]:
        """Every item of a list operation, fetching the following pages as needed."""
        walker = PageWalker(operation_name(operation), parameters)
        while walker.parameters is not None:
            yield from walker.take(self.call(operation, **walker.parameters))

    def _send(
        self, kwargs: dict[str, Any], *, timeout: TimeoutArg = None, max_retries: int | None = None
    ) -> httpx.Response:
        request = self._build_request(self._http, kwargs, timeout=timeout, max_retries=max_retries)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as error:
            raise connection_error(error, request) from None
        raise_for_status(response, self._clock, secret=self._config.api_key)
        return response

    def close(self) -> None:
        """Release the connection pool (a sibling from `with_options` leaves it open)."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncKapso(_BaseKapso):
    """Async client for the Kapso Platform API, with the same surface as `Kapso`."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutArg = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_region: str | None = None,
        allow_insecure_http: bool = False,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        insecure_skip_tls_verify: bool = False,
    ) -> None:
        config = resolve_config(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_region=default_region,
            allow_insecure_http=allow_insecure_http,
        )
        pool: httpx.AsyncBaseTransport = (
            async_pool(DEFAULT_POOL_LIMITS, insecure=insecure_skip_tls_verify)
            if http_client is None
            else _AsyncUserClientTransport(
                check_callers_client(http_client, insecure=insecure_skip_tls_verify)
            )
        )
        self._start(config, pool, clock, owns_pool=True)

    def _start(
        self,
        config: ClientConfig,
        pool: httpx.AsyncBaseTransport,
        clock: Clock | None,
        owns_pool: bool,
    ) -> None:
        self._configure(config, clock, owns_pool)
        self._pool = pool
        transport = AsyncRetryTransport(
            pool, self._policy(), clock=self._clock, owns_inner=owns_pool
        )
        self.generated = self._generated_client(transport)
        self._http = self.generated.get_async_httpx_client()
        self.contacts = AsyncContacts(self)

    def with_options(
        self, *, timeout: TimeoutArg = None, max_retries: int | None = None
    ) -> AsyncKapso:
        """A client with other defaults over the same connection pool (None keeps a setting)."""
        sibling = object.__new__(type(self))
        sibling._start(
            self._derived_config(timeout, max_retries), self._pool, self._clock, owns_pool=False
        )
        return sibling

    async def call(self, operation: ModuleType, **parameters: Any) -> Any:
        """Run any generated operation module; return its parsed success value or raise."""
        response = await self._send(request_kwargs(operation, parameters))
        return parse_success(operation, self.generated, response)

    async def paginate(self, operation: ModuleType, **parameters: Any) -> AsyncIterator[Any]:
        """Every item of a list operation, fetching the following pages as needed."""
        walker = PageWalker(operation_name(operation), parameters)
        while walker.parameters is not None:
            for item in walker.take(await self.call(operation, **walker.parameters)):
                yield item

    async def _send(
        self, kwargs: dict[str, Any], *, timeout: TimeoutArg = None, max_retries: int | None = None
    ) -> httpx.Response:
        request = self._build_request(self._http, kwargs, timeout=timeout, max_retries=max_retries)
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as error:
            raise connection_error(error, request) from None
        raise_for_status(response, self._clock, secret=self._config.api_key)
        return response

    async def close(self) -> None:
        """Release the connection pool (a sibling from `with_options` leaves it open)."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
