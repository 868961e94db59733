"""API Gateway (REST) and Cognito as strict as AWS for the calls the steps and `users` make.

Each patch is small and written as it would be for upstream moto. Rate limits are real-time limits
divided by MIGRATE_SANDBOX_TIME_SCALE (the rehearsal's time scale), and are off when it is unset,
so moto used as a plain library behaves as before.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import Any

POLICY_MAX_CHARS = 8192
STAGE_VARIABLES_MAX = 100
STAGE_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# "alphanumeric characters and the symbols - . _ ~ : / ? # & = ," (Amazon API Gateway quotas).
STAGE_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{0,512}$")
USER_POOL_ARN = re.compile(r"^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):(\d{12}):userpool/([\w-]+_[0-9A-Za-z]+)$")


_time_scale_override: list[float] = []


def set_time_scale(value: float) -> None:
    """Turns the rate limits on (or changes their scale) in a running server: the sandbox seeds its
    estate first, as fast as it likes, then asks for the rehearsal's limits."""
    _time_scale_override[:] = [value] if value > 0 else []


def time_scale() -> float | None:
    if _time_scale_override:
        return _time_scale_override[0]
    raw = os.environ.get("MIGRATE_SANDBOX_TIME_SCALE")
    if not raw:
        return None
    value = float(raw)
    return value if value > 0 else None


class _RateLimit:
    """At most `count` calls per `seconds` (divided by the time scale) per account."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.seconds = seconds
        self.calls: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def allow(self, account: str) -> bool:
        scale = time_scale()
        if scale is None:
            return True
        window = self.seconds / scale
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.calls.get(account, []) if now - t < window]
            if len(recent) >= self.count:
                self.calls[account] = recent
                return False
            self.calls[account] = recent + [now]
            return True


def _bad_request(message: str) -> Exception:
    from moto.apigateway.exceptions import BadRequestException

    return BadRequestException(message)


def check_policy(policy: Any) -> None:
    """A REST API resource policy is a JSON policy document of at most 8,192 characters.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html ("Resource policy
    size: 8,192 characters"); a document that is no JSON is refused as an invalid policy.
    """
    if policy is None or policy == "":
        return
    text = str(policy)
    if len(text) > POLICY_MAX_CHARS:
        raise _bad_request(f"Invalid policy document. The policy is {len(text)} characters long; a resource policy may have at most {POLICY_MAX_CHARS} characters.")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise _bad_request("Invalid policy document. Please check the policy syntax and ensure that Principals are valid.")


def check_stage_variables(variables: dict[str, Any] | None) -> None:
    """Stage variables: at most 100 per stage, names [A-Za-z0-9_]{1,64}, values of at most 512
    characters from [A-Za-z0-9-._~:/?#&=,].

    https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (stage variables per
    stage; name and value length and characters)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/aws-api-gateway-stage-variables-reference.html
    """
    variables = variables or {}
    if len(variables) > STAGE_VARIABLES_MAX:
        raise _bad_request(f"A stage can have at most {STAGE_VARIABLES_MAX} stage variables; this request would leave {len(variables)}.")
    for name, value in variables.items():
        if not STAGE_VARIABLE_NAME.match(str(name)):
            raise _bad_request(f"Stage variable name '{name}' is invalid: it must match [A-Za-z0-9_]+ and be at most 64 characters.")
        if not STAGE_VARIABLE_VALUE.match(str(value)):
            raise _bad_request(f"Stage variable value for '{name}' is invalid: at most 512 characters, each alphanumeric or one of - . _ ~ : / ? # & = ,")


def aws_policy_form(policy: str, region: str, account: str, api_id: str) -> str:
    """The policy as GetRestApi answers on AWS: `execute-api:/` expanded to the API's ARN, compact
    JSON, quotes escaped (the answer's `policy` string holds `{\\"Version\\":...}`)."""
    prefix = f"arn:aws:execute-api:{region}:{account}:{api_id}/"
    try:
        doc = json.loads(policy)
    except ValueError:
        return policy.replace('"', '\\"')

    def expand(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("execute-api:/"):
            return prefix + value[len("execute-api:/"):]
        if isinstance(value, list):
            return [expand(v) for v in value]
        return value

    statements = doc.get("Statement") if isinstance(doc, dict) else None
    for statement in statements if isinstance(statements, list) else [statements] if isinstance(statements, dict) else []:
        for key in ("Resource", "NotResource"):
            if key in statement:
                statement[key] = expand(statement[key])
    return json.dumps(doc, separators=(",", ":")).replace('"', '\\"')


def patch_rest_api_policy() -> None:
    """Policy size and syntax on CreateRestApi/UpdateRestApi, and GetRestApi's answer in AWS's form
    (field omitted when there is no policy)."""
    from moto.apigateway.models import APIGatewayBackend, RestAPI

    original_create = APIGatewayBackend.create_rest_api
    original_update = APIGatewayBackend.update_rest_api
    original_to_dict = RestAPI.to_dict

    def create_rest_api(self: Any, *args: Any, **kwargs: Any) -> Any:
        check_policy(kwargs.get("policy"))
        return original_create(self, *args, **kwargs)

    def update_rest_api(self: Any, function_id: str, patch_operations: Any) -> Any:
        for op in patch_operations or []:
            if op.get("path") == "/policy" and op.get("op") == "replace":
                check_policy(op.get("value"))
        return original_update(self, function_id, patch_operations)

    def to_dict(self: Any) -> dict[str, Any]:
        out = original_to_dict(self)
        if not out.get("policy"):
            out.pop("policy", None)
        else:
            out["policy"] = aws_policy_form(out["policy"], self.region_name, self.account_id, self.id)
        return out

    APIGatewayBackend.create_rest_api = create_rest_api  # type: ignore[method-assign]
    APIGatewayBackend.update_rest_api = update_rest_api  # type: ignore[method-assign]
    RestAPI.to_dict = to_dict  # type: ignore[method-assign]


_DEPLOYMENTS = _RateLimit(1, 5.0)


def patch_stage_limits_and_deploy_rate() -> None:
    """Stage variable limits on CreateStage, CreateDeployment and UpdateStage; CreateDeployment
    limited to one request every 5 seconds per account (TooManyRequestsException, 429).

    https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#api-gateway-control-service-limits-table
    ("CreateDeployment: 1 request every 5 seconds per account")
    """
    from moto.apigateway.exceptions import ApiGatewayException
    from moto.apigateway.models import APIGatewayBackend, Stage

    class TooManyRequestsException(ApiGatewayException):
        code = 429

        def __init__(self) -> None:
            super().__init__("TooManyRequestsException", "Too Many Requests")

    original_create_stage = APIGatewayBackend.create_stage
    original_deploy = APIGatewayBackend.create_deployment
    original_apply = Stage.apply_operations

    def create_stage(self: Any, function_id: str, stage_name: str, deploymentId: str, variables: Any = None, *args: Any, **kwargs: Any) -> Any:
        check_stage_variables(variables)
        return original_create_stage(self, function_id, stage_name, deploymentId, variables, *args, **kwargs)

    def create_deployment(self: Any, function_id: str, name: str, description: str = "", stage_variables: Any = None) -> Any:
        existing = self.get_rest_api(function_id).stages.get(name) if name else None
        check_stage_variables({**((existing.variables if existing else None) or {}), **(stage_variables or {})})
        if not _DEPLOYMENTS.allow(self.account_id):
            raise TooManyRequestsException()
        return original_deploy(self, function_id, name, description, stage_variables)

    def apply_operations(self: Any, patch_operations: list[dict[str, Any]]) -> Any:
        variables = dict(self.variables or {})
        for op in patch_operations:
            path = op.get("path", "")
            if "variables/" not in path:
                continue
            key = path[path.rindex("variables/") + len("variables/"):]
            if op.get("op") == "remove":
                variables.pop(key, None)
            else:
                variables[key] = op.get("value")
        check_stage_variables(variables)
        return original_apply(self, patch_operations)

    APIGatewayBackend.create_stage = create_stage  # type: ignore[method-assign]
    APIGatewayBackend.create_deployment = create_deployment  # type: ignore[method-assign]
    Stage.apply_operations = apply_operations  # type: ignore[method-assign]


def patch_update_authorizer_checks() -> None:
    """UpdateAuthorizer on /providerARNs: only that path (no `/providerARNs/0`), a well-formed user
    pool ARN of a pool that exists, and no duplicate add.

    https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateAuthorizer.html
    https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html
    """
    from moto.apigateway.models import APIGatewayBackend
    from moto.cognitoidp.models import cognitoidp_backends

    original = APIGatewayBackend.update_authorizer

    def update_authorizer(self: Any, restapi_id: str, authorizer_id: str, patch_operations: Any) -> Any:
        authorizer = self.get_authorizer(restapi_id, authorizer_id)
        arns = list(authorizer.provider_arns or [])
        for op in patch_operations or []:
            path = op.get("path", "")
            if not path.startswith("/providerARNs"):
                continue
            if path != "/providerARNs":
                raise _bad_request(f"Invalid patch path '{path}' specified for op '{op.get('op')}'. Must be one of: [/providerARNs]")
            value = op.get("value") or ""
            if op.get("op") != "add":
                if op.get("op") == "remove" and value in arns:
                    arns.remove(value)
                continue
            match = USER_POOL_ARN.match(value)
            if not match:
                raise _bad_request(f"Invalid ARN specified in the request: {value}")
            region, account, pool_id = match.groups()
            try:
                exists = pool_id in cognitoidp_backends[account][region].user_pools
            except Exception:
                exists = False
            if not exists:
                raise _bad_request(f"Invalid Cognito user pool ARN {value}: the user pool does not exist")
            if value in arns:
                raise _bad_request(f"Invalid patch operation: providerARNs already contains {value}")
            arns.append(value)
        return original(self, restapi_id, authorizer_id, patch_operations)

    APIGatewayBackend.update_authorizer = update_authorizer  # type: ignore[method-assign]


_USER_CREATION = _RateLimit(50, 1.0)


def patch_cognito_user_creation_quota() -> None:
    """AdminCreateUser is in Cognito's UserCreation category: 50 requests per second per account
    by default; above it TooManyRequestsException.

    https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html#category_operations
    """
    from moto.core.exceptions import JsonRESTError
    from moto.cognitoidp.responses import CognitoIdpResponse

    original = CognitoIdpResponse.admin_create_user

    def admin_create_user(self: Any) -> Any:
        if not _USER_CREATION.allow(self.current_account):
            raise JsonRESTError("TooManyRequestsException", "Too many requests")
        return original(self)

    CognitoIdpResponse.admin_create_user = admin_create_user  # type: ignore[method-assign]


def install() -> None:
    patch_rest_api_policy()
    patch_stage_limits_and_deploy_rate()
    patch_update_authorizer_checks()
    patch_cognito_user_creation_quota()
