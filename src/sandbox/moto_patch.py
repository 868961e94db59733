"""Start moto server with the two gaps moto 5.2.1 has for the migration plan filled in.

1. API Gateway UpdateAuthorizer on /providerARNs (moto raises "not implemented").
2. Route 53 TestDNSAnswer (moto has no route for it).
3. CloudFront ListDistributions: each DistributionSummary lacks Aliases, Comment and Enabled
   (moto serializes the Distribution, whose config holds them), so a distribution cannot be
   found by its alternate domain name as it can on AWS.
4. API Gateway CreateDeployment to an existing stage: moto replaces the stage, dropping its
   variables and settings; AWS points the stage at the new deployment and keeps the rest.
5. The strict layer (moto_strict_route53.py, moto_strict_apigateway.py): requests AWS refuses are
   refused with AWS's error codes (see src/sandbox/README.md for the conformance table). It also
   replaces moto's CREATE check, which found old changes in its journal and called any later name
   a duplicate.
6. S3 conditional writes (PutObject / DeleteObject with If-Match or If-None-Match): moto 5.2.1
   checks the condition and then writes, and its server is threaded, so two concurrent requests
   can both pass the check (a narrow window, rarely hit, but the lock tests must not rest on
   luck). S3 makes the check and the write one atomic step (exactly one of several
   `If-None-Match: *` creators wins); serialise PutObject and DeleteObject to do the same.
7. Cognito: a user of a pool that signs in by email alias was found by scanning every user of
   the pool (on every AdminCreateUser, AdminGetUser, AdminDisableUser ...), and ListUsers found
   where a page starts by scanning too, so the sandbox slowed down as a pool grew; the scan also
   iterated the users while the threaded server inserted others ("dictionary changed size during
   iteration", an HTML 500). Users are indexed instead (patch_cognitoidp_scale).
8. POST /moto-api/migrate/cognito-seed fills a user pool in bulk (benchmarks of 100k users).
9. The server found the service of every request by listing moto's own package folder (a stat of
   each of ~180 entries) and matching URL patterns, under a lock every request takes, and then
   the action by listing every member of the service's response class; the answers are kept
   instead (patch_backend_lookup).

All are written as they would be upstream: the same models, exceptions and serializers moto
already uses, so the unmodified AWS SDKs parse the answers.

Usage: python3 moto_patch.py [--port N]
Prints exactly one line `MOTO_PORT=<port>` on stdout once the server accepts connections, and
exits when stdin reaches EOF, so a parent that dies without cleaning up (kill -9) never leaves
an orphaned moto behind: the parent holds the write end of our stdin pipe.
"""

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any


# --- API Gateway: UpdateAuthorizer add/remove on /providerARNs -------------------------------


def patch_apigateway_authorizer() -> None:
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import Authorizer

    original_apply = Authorizer.apply_operations

    def apply_operations(self: Authorizer, patch_operations: list[dict[str, Any]]) -> Authorizer:
        # AWS rejects the whole request if any step would leave the list empty, which is why
        # Terraform's provider sends every `add` before any `remove`. Work out the new list
        # first so a rejected request changes nothing.
        arns = list(self.provider_arns or [])
        others: list[dict[str, Any]] = []
        for op in patch_operations:
            if op.get("path") != "/providerARNs":
                others.append(op)
                continue
            value = op.get("value")
            if op.get("op") == "add":
                if not value:
                    raise BadRequestException("Invalid patch operation: value is required")
                # A duplicate is refused by the strict layer (moto_strict_apigateway.py) first.
                if value not in arns:
                    arns.append(value)
            elif op.get("op") == "remove":
                if value not in arns:
                    raise BadRequestException(
                        f"Invalid patch operation: providerARNs does not contain {value}"
                    )
                arns.remove(value)
                if not arns:
                    raise BadRequestException(
                        "Invalid patch operation: providerARNs must contain at least one ARN"
                    )
            else:
                raise BadRequestException(
                    f'Invalid patch operation: "{op.get("op")}" is not supported on /providerARNs'
                )
        if others:
            original_apply(self, others)
        if arns != list(self.provider_arns or []):
            self.provider_arns = arns
        return self

    Authorizer.apply_operations = apply_operations  # type: ignore[method-assign]


# --- Route 53: TestDNSAnswer ------------------------------------------------------------------


def _fqdn(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def _values(rrset: Any) -> list[str]:
    # Record sets made through ChangeResourceRecordSets hold plain strings; the SOA moto creates
    # with a zone holds {"Value": ...} dicts.
    return [r["Value"] if isinstance(r, dict) else str(r) for r in (rrset.records or [])]


def _answer(zone: Any, name: str, rtype: str, depth: int = 0) -> tuple[str, list[str]]:
    """(response code, record data) for one query, answered from the zone's record sets."""
    at_name = [r for r in zone.rrsets if _fqdn(r.name) == name]
    if not at_name:
        return "NXDOMAIN", []
    for wanted in (rtype, "CNAME"):
        matches = [r for r in at_name if r.type == wanted]
        if not matches:
            continue
        data: list[str] = []
        for rrset in matches:
            if rrset.alias_target:
                target = _fqdn(rrset.alias_target.get("DNSName", ""))
                # An alias to a record in the same zone resolves to that record's values; a
                # target outside it (CloudFront, a load balancer) cannot be resolved here, so
                # the answer names it instead of inventing addresses.
                if target.endswith(_fqdn(zone.name)) and depth < 8:
                    code, resolved = _answer(zone, target, rrset.type, depth + 1)
                    data.extend(resolved if code == "NOERROR" else [])
                else:
                    data.append(target.rstrip("."))
            else:
                data.extend(_values(rrset))
        return "NOERROR", data
    return "NOERROR", []


def patch_route53_test_dns_answer() -> None:
    from moto.core.responses import ActionResult
    from moto.route53 import urls
    from moto.route53.exceptions import InvalidInput
    from moto.route53.responses import Route53
    from moto_strict_route53 import refuse_private_zone

    def test_dns_answer(self: Route53) -> ActionResult:
        zone_id = self._get_param("HostedZoneId")
        record_name = self._get_param("RecordName")
        record_type = self._get_param("RecordType")
        if not zone_id or not record_name or not record_type:
            raise InvalidInput("hostedzoneid, recordname and recordtype are required")
        zone = self.backend.get_hosted_zone(zone_id)
        refuse_private_zone(zone)
        code, data = _answer(zone, _fqdn(record_name), record_type)
        name_servers = zone.delegation_set.name_servers if zone.delegation_set else []
        return ActionResult(
            {
                "Nameserver": name_servers[0] if name_servers else "ns-2048.awsdns-64.com",
                "RecordName": record_name,
                "RecordType": record_type,
                "RecordData": data,
                "ResponseCode": code,
                "Protocol": "UDP",
            }
        )

    Route53.test_dns_answer = test_dns_answer  # type: ignore[attr-defined]
    urls.url_paths[r"{0}/(?P<api_version>[\d_-]+)/testdnsanswer$"] = Route53.dispatch


# --- Server ---------------------------------------------------------------------------------


# --- CloudFront: DistributionSummary carries Aliases, Comment and Enabled -------------------


def patch_cloudfront_distribution_summary() -> None:
    from moto.cloudfront.models import Distribution

    # The summary serializer reads shape members as attributes of the Distribution; AWS's
    # DistributionSummary copies these three from the distribution's config.
    def config_field(name: str, default: Any) -> property:
        return property(lambda self: getattr(self.distribution_config, name, default))

    Distribution.aliases = config_field("Aliases", {"Quantity": 0})  # type: ignore[attr-defined]
    Distribution.comment = config_field("Comment", "")  # type: ignore[attr-defined]
    Distribution.enabled = config_field("Enabled", False)  # type: ignore[attr-defined]


# --- API Gateway: CreateDeployment keeps an existing stage ------------------------------------


def patch_apigateway_deployment_keeps_stage() -> None:
    from moto.apigateway.models import RestAPI

    original_create = RestAPI.create_deployment

    def create_deployment(self: RestAPI, name: str, description: str, stage_variables: Any = None) -> Any:
        existing = self.stages.get(name) if name else None
        deployment = original_create(self, name, description, stage_variables)
        if existing is not None:
            # Variables given with the deployment are merged over the stage's own, as on AWS.
            existing.deployment_id = deployment.id
            existing.variables = {**(existing.variables or {}), **(stage_variables or {})}
            self.stages[name] = existing
        return deployment

    RestAPI.create_deployment = create_deployment  # type: ignore[method-assign]


TIME_SCALE_PATH = "/moto-api/migrate/time-scale"


def with_time_scale_endpoint(app: Any) -> Any:
    """POST /moto-api/migrate/time-scale?scale=N turns on the strict layer's rate limits at that
    time scale (moto's own /moto-api paths are not AWS calls, so the sandbox proxy passes them)."""
    from urllib.parse import parse_qs

    import moto_strict_apigateway

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == TIME_SCALE_PATH and environ.get("REQUEST_METHOD") == "POST":
            try:
                scale = float(parse_qs(environ.get("QUERY_STRING", "")).get("scale", [""])[0])
            except ValueError:
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"scale must be a positive number\n"]
            moto_strict_apigateway.set_time_scale(scale)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [f"time scale {scale}\n".encode()]
        return app(environ, start_response)

    return wsgi


SEED_PATH = "/moto-api/migrate/cognito-seed"


def seed_cognito_users(query: str, body: bytes) -> dict[str, int]:
    """Creates users in one pool as AdminCreateUser (then AdminDisableUser, AdminAddUserToGroup)
    would, without a request each: a benchmark fills a pool of 100,000 users in seconds. The body
    is JSON lines: {"username", "attributes": [{"Name", "Value"}], "enabled", "groups"}."""
    import json
    from urllib.parse import parse_qs

    from moto.cognitoidp.exceptions import UsernameExistsException
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    params = parse_qs(query)
    pool_id = params.get("userPoolId", [""])[0]
    account = params.get("account", [os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)])[0]
    backend = cognitoidp_backends[account][pool_id.split("_")[0]]
    backend.describe_user_pool(pool_id)
    created = existed = 0
    for line in body.decode("utf-8").splitlines():
        if not line.strip():
            continue
        spec = json.loads(line)
        try:
            user = backend.admin_create_user(pool_id, spec["username"], "SUPPRESS", None, spec.get("attributes") or [])
        except UsernameExistsException:
            existed += 1
            continue
        created += 1
        if spec.get("enabled") is False:
            user.enabled = False
        for group in spec.get("groups") or []:
            backend.admin_add_user_to_group(pool_id, group, user.username)
    return {"created": created, "existed": existed}


def with_seed_endpoint(app: Any) -> Any:
    import json

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != SEED_PATH or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            answer = seed_cognito_users(environ.get("QUERY_STRING", ""), body)
        except Exception as error:  # a benchmark's helper: say what went wrong, as text
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{type(error).__name__}: {error}\n".encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    return wsgi


# --- S3: conditional writes are atomic --------------------------------------------------------


def patch_s3_conditional_writes_atomic() -> None:
    from moto.s3.responses import S3Response

    # Every PutObject and DeleteObject, conditional or not: an unconditional write landing between
    # a conditional one's check and its write would break the condition just the same.
    lock = threading.RLock()

    def serialised(original: Any) -> Any:
        def method(self: S3Response, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(self, *args, **kwargs)

        return method

    S3Response.put_object = serialised(S3Response.put_object)  # type: ignore[method-assign]
    S3Response.delete_object = serialised(S3Response.delete_object)  # type: ignore[method-assign]


# --- Cognito: lookups and listings that do not slow down as the pool grows ---------------------


class _AliasIndex:
    """Users by (alias attribute, value): what moto finds by scanning every user of the pool."""

    ATTRIBUTES = ("email", "phone_number")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_value: dict[tuple[str, str], dict[str, Any]] = {}
        self.seq = 0

    def add(self, user: Any) -> None:
        with self.lock:
            self.seq += 1
            user._migrate_seq = self.seq
            self._put(user)

    def _put(self, user: Any) -> None:
        keys = [(a, v) for a in self.ATTRIBUTES if (v := user.attribute_lookup.get(a)) is not None]
        user._migrate_keys = keys
        for key in keys:
            self.by_value.setdefault(key, {})[user.id] = user

    def _drop(self, user: Any) -> None:
        for key in getattr(user, "_migrate_keys", ()):
            found = self.by_value.get(key)
            if found is not None:
                found.pop(user.id, None)
                if not found:
                    del self.by_value[key]
        user._migrate_keys = []

    def remove(self, user: Any) -> None:
        with self.lock:
            self._drop(user)

    def reindex(self, user: Any) -> None:
        with self.lock:
            self._drop(user)
            self._put(user)

    def find(self, attribute_types: list[str], value: str) -> list[Any]:
        with self.lock:
            found: list[Any] = []
            for a in attribute_types:
                found.extend((self.by_value.get((a, value)) or {}).values())
            return found


def _indexed_users_class() -> Any:
    from collections import OrderedDict

    class IndexedUsers(OrderedDict):  # type: ignore[type-arg]
        """A pool's users by username, with the alias index and an ordered snapshot kept beside them."""

        def __init__(self) -> None:
            super().__init__()
            self.alias = _AliasIndex()
            self.mutations = 0
            self._snapshot: tuple[int, list[Any], dict[str, int]] | None = None

        def __setitem__(self, key: str, user: Any) -> None:
            old = self.get(key)
            if old is not None and old is not user:
                self.alias.remove(old)
                old._migrate_pool = None
            super().__setitem__(key, user)
            self.mutations += 1
            user._migrate_pool = self
            self.alias.add(user)

        def __delitem__(self, key: str) -> None:
            user = self[key]
            super().__delitem__(key)
            self.mutations += 1
            self.alias.remove(user)
            user._migrate_pool = None

        def pop(self, key: str, *default: Any) -> Any:
            if key in self:
                user = self[key]
                del self[key]
                return user
            return super().pop(key, *default)

        def clear(self) -> None:
            for key in list(self.keys()):
                del self[key]

        def snapshot(self) -> tuple[list[Any], dict[str, int]]:
            """The users in order and each id's place, rebuilt only after the pool changed."""
            taken = self._snapshot
            if taken is None or taken[0] != self.mutations:
                mutations = self.mutations
                order = list(self.values())
                taken = (mutations, order, {u.id: i for i, u in enumerate(order)})
                self._snapshot = taken
            return taken[1], taken[2]

    return IndexedUsers


def patch_backend_lookup() -> None:
    """moto's server picks the backend of each request by checking the host against
    list_of_moto_modules(), which lists moto's package folder and stats every entry (~180), and
    then against the URL pattern of every service, all under the dispatcher's one lock. That was
    about half of the server's CPU for a Cognito call, the lock serialising every request, so a
    busy machine held `users sync` against the sandbox below its rate. Neither the folder nor the
    patterns change while the server runs: list the folder once and keep each host's backend.
    """
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]

    original = DomainDispatcherApplication.get_backend_for_host
    found: dict[str, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host is None:
            return None
        backend = found.get(host)
        if backend is None:
            backend = original(self, host)
            # Hosts are service.region names; the bound only guards against odd clients.
            if backend is not None and len(found) < 4096:
                found[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]

    # Then each request looked its action up among inspect.getmembers() of its response class
    # (hundreds of members). The patches here replace methods by name before the first request,
    # so the names of a class do not change once listed.
    from moto.core import responses as core_responses

    original_names = core_responses.method_names_from_class
    names: dict[type, frozenset[str]] = {}

    def method_names_from_class(clazz: Any) -> Any:
        listed = names.get(clazz)
        if listed is None:
            listed = names[clazz] = frozenset(original_names(clazz))
        return listed

    core_responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]


class _NoDrainSelectors:
    """werkzeug's server reads and discards whatever the client sent after a request (waiting up to
    10 ms for it), which is right only when it closes every connection. On a connection kept
    alive that would be the next request; the body of this one is drained exactly instead."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.keeping = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def DefaultSelector(self) -> Any:  # noqa: N802 (the selectors module's name)
        selector = self.real.DefaultSelector()
        if getattr(self.keeping, "on", False):
            selector.select = lambda timeout=None: []
        return selector


def keep_alive_handler() -> Any:
    """A request handler that keeps HTTP/1.1 connections open, as AWS's endpoints do. werkzeug's
    development server answers every request with Connection: close, so each one cost a TCP
    connection and a new thread on both sides (a third of the server's time for a Cognito call).
    Requests with a chunked body still close the connection; any other body is read to its
    Content-Length before the next request is read."""
    from werkzeug import serving
    from werkzeug.wsgi import LimitedStream

    drain = _NoDrainSelectors(serving.selectors)
    serving.selectors = drain  # type: ignore[assignment]

    class KeepAliveHandler(serving.WSGIRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body go out in two writes; on an open connection Nagle's algorithm
        # would hold the body until the client's delayed ACK (40 ms on Linux).
        disable_nagle_algorithm = True
        body: Any = None

        def make_environ(self) -> Any:
            environ = super().make_environ()
            # A request with neither header has no body (RFC 9112, 6.3).
            length = self.headers.get("Content-Length", "0")
            self.body = None
            if self.headers.get("Transfer-Encoding") is None and length.isdigit():
                self.body = LimitedStream(self.rfile, int(length))
                environ["wsgi.input"] = self.body
            drain.keeping.on = self.body is not None
            return environ

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "connection" and value.lower() == "close" and self.body is not None:
                return
            super().send_header(keyword, value)

        def run_wsgi(self) -> None:
            try:
                super().run_wsgi()
            finally:
                drain.keeping.on = False
                if self.body is None:
                    self.close_connection = True
                else:
                    try:
                        self.body.exhaust()
                    except Exception:
                        self.close_connection = True

    return KeepAliveHandler


def patch_cognitoidp_scale() -> None:
    """moto finds a user of a pool that signs in by email (UsernameAttributes) by flattening the
    attributes of every user in it, on every AdminCreateUser, AdminGetUser, AdminDisableUser and
    AdminAddUserToGroup: about 24 ms a call at 20,000 users, with the GIL held, so a sync against
    the sandbox slowed down as the pool it was filling grew. ListUsers found where a page starts
    by comparing its token with every user before it, so listing 100,000 users took minutes.
    Here a pool keeps its users indexed by alias and an ordered snapshot for paging; the answers
    (which user, which page, the tokens) are the ones moto gives. The lookup also no longer
    iterates the users while the threaded server inserts others ("dictionary changed size during
    iteration", an HTML 500 that grew likelier with the pool)."""
    from botocore.paginate import TokenDecoder
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, CognitoIdpUserPool
    from moto.cognitoidp.utils import PAGINATION_MODEL
    from moto.utilities.paginator import paginate

    IndexedUsers = _indexed_users_class()
    original_init = CognitoIdpUserPool.__init__

    def pool_init(self: CognitoIdpUserPool, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        users = IndexedUsers()
        for key, user in self.users.items():
            users[key] = user
        self.users = users

    CognitoIdpUserPool.__init__ = pool_init  # type: ignore[method-assign]

    # Every change of a user's attributes goes through these two (moto assigns the list nowhere else).
    original_update = CognitoIdpUser.update_attributes
    original_delete = CognitoIdpUser.delete_attributes

    def reindexed(original: Any) -> Any:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            pool = self.__dict__.get("_migrate_pool")
            if pool is not None:
                pool.alias.reindex(self)
            return result

        return method

    CognitoIdpUser.update_attributes = reindexed(original_update)  # type: ignore[method-assign]
    CognitoIdpUser.delete_attributes = reindexed(original_delete)  # type: ignore[method-assign]

    def _get_user(self: CognitoIdpUserPool, username: str) -> CognitoIdpUser:
        attribute_types = self.extended_config.get("UsernameAttributes")
        users = self.users
        if attribute_types and isinstance(users, IndexedUsers):
            # moto answers with the first user, in pool order, that has the value in any of them.
            found = [
                u
                for u in users.alias.find(list(attribute_types), username)
                if users.get(u.username) is u and username in [u.attribute_lookup.get(a) for a in attribute_types]
            ]
            if found:
                return min(found, key=lambda u: u._migrate_seq)
        elif attribute_types:
            for user in list(users.values()):
                if username in [user.attribute_lookup.get(a) for a in attribute_types]:
                    return user
        return users.get(username)  # type: ignore[return-value]

    CognitoIdpUserPool._get_user = _get_user  # type: ignore[method-assign]

    # ListUsers: the paginator still decides the page and the token, but is handed the users from
    # the token's one on, so it finds its start at once.
    original_list = CognitoIdpBackend.list_users.__wrapped__  # type: ignore[attr-defined]
    start_at = threading.local()

    def list_users(self: CognitoIdpBackend, user_pool_id: str, filt: str) -> list[CognitoIdpUser]:
        start = getattr(start_at, "id", None)
        users = self.describe_user_pool(user_pool_id).users
        if filt or not isinstance(users, IndexedUsers):
            return original_list(self, user_pool_id, filt)
        order, place = users.snapshot()
        i = place.get(start) if start is not None else 0
        # A token for no user of the pool: the whole list, for the paginator to refuse as moto does.
        return order[i:] if i is not None else order

    paged = paginate(pagination_model=PAGINATION_MODEL)(list_users)

    def list_users_paged(self: CognitoIdpBackend, user_pool_id: str, filt: str, **kwargs: Any) -> Any:
        token = kwargs.get("pagination_token")
        start_at.id = None
        if token:
            try:
                start_at.id = str(TokenDecoder().decode(token)["uniqueAttributes"])
            except Exception:
                start_at.id = None
        try:
            return paged(self, user_pool_id, filt, **kwargs)
        finally:
            start_at.id = None

    CognitoIdpBackend.list_users = list_users_paged  # type: ignore[method-assign]


def exit_on_stdin_eof() -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    # One line per request on stderr would only fill the parent's pipe; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    threading.Thread(target=exit_on_stdin_eof, daemon=True).start()

    patch_apigateway_authorizer()
    patch_route53_test_dns_answer()
    patch_cloudfront_distribution_summary()
    patch_apigateway_deployment_keeps_stage()
    patch_cognitoidp_scale()
    patch_backend_lookup()
    import moto_strict_apigateway
    import moto_strict_route53

    moto_strict_route53.install()
    moto_strict_apigateway.install()
    patch_s3_conditional_writes_atomic()

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    app = with_seed_endpoint(with_time_scale_endpoint(DomainDispatcherApplication(create_backend_app)))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=keep_alive_handler())
    print(f"MOTO_PORT={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
