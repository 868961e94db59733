"""The strict sandbox's refusals seen through a second client on botocore (boto3), as the AWS CLI
would send them. Usage: python3 strict_botocore.py ENDPOINT. Prints one JSON object: case -> the
error code botocore parsed (or "ok" when the request was accepted)."""

import json
import sys

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
r53 = boto3.client("route53", **kw)
apigw = boto3.client("apigateway", **kw)
idp = boto3.client("cognito-idp", **kw)
out = {}


def attempt(case, fn):
    try:
        fn()
        out[case] = "ok"
    except r53.exceptions.ClientError as error:  # every client's ClientError is botocore's
        out[case] = error.response["Error"]["Code"]


zone = r53.create_hosted_zone(Name="py.example.org", CallerReference="py-1")["HostedZone"]["Id"].split("/")[-1]
private = r53.create_hosted_zone(Name="py.internal", CallerReference="py-2", HostedZoneConfig={"PrivateZone": True}, VPC={"VPCRegion": "eu-west-2", "VPCId": "vpc-12345678"})["HostedZone"]["Id"].split("/")[-1]


def change(*changes, zone_id=zone):
    return r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": list(changes)})


def rr(action, name, rtype, ttl=None, values=None, **extra):
    record = {"Name": name, "Type": rtype, **extra}
    if ttl is not None:
        record["TTL"] = ttl
    if values is not None:
        record["ResourceRecords"] = [{"Value": v} for v in values]
    return {"Action": action, "ResourceRecordSet": record}


change(
    rr("CREATE", "www.py.example.org", "CNAME", 300, ["origin.example.net"]),
    rr("CREATE", "api.py.example.org", "CNAME", 300, ["blue.example.net"], SetIdentifier="blue", Weight=50),
    rr("CREATE", "api.py.example.org", "CNAME", 300, ["green.example.net"], SetIdentifier="green", Weight=50),
    rr("CREATE", "web.py.example.org", "CNAME", 300, ["blue.example.net"], SetIdentifier="blue", Weight=100),
)
alias = {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d111111abcdef8.cloudfront.net", "EvaluateTargetHealth": False}
attempt("cnameBesideOther", lambda: change(rr("CREATE", "www.py.example.org", "TXT", 300, ['"hello"'])))
attempt("weightedTtlDiffers", lambda: change(rr("UPSERT", "api.py.example.org", "CNAME", 60, ["blue.example.net"], SetIdentifier="blue", Weight=50)))
attempt("routedWithoutWeight", lambda: change(rr("CREATE", "api.py.example.org", "CNAME", 300, ["red.example.net"], SetIdentifier="red")))
attempt("aliasWithTtl", lambda: change(rr("CREATE", "cdn.py.example.org", "A", 300, None, AliasTarget=alias)))
attempt("cnameAtApex", lambda: change(rr("CREATE", "py.example.org", "CNAME", 300, ["elsewhere.example.net"])))
attempt("deleteValuesDiffer", lambda: change(rr("DELETE", "www.py.example.org", "CNAME", 60, ["origin.example.net"])))
attempt("weightedAliasBesideCname", lambda: change(rr("UPSERT", "api.py.example.org", "A", None, None, SetIdentifier="blue", Weight=50, AliasTarget=alias)))
attempt("getChangeUnknown", lambda: r53.get_change(Id="CNOSUCHCHANGE0000"))
attempt("testDnsAnswerPrivate", lambda: r53.test_dns_answer(HostedZoneId=private, RecordName="x.py.internal", RecordType="A"))
# The DELETE of one routed set leaves the other names' sets of that identifier alone.
change(rr("DELETE", "api.py.example.org", "CNAME", 300, ["blue.example.net"], SetIdentifier="blue", Weight=50),
       rr("UPSERT", "api.py.example.org", "CNAME", 300, ["green.example.net"], SetIdentifier="green", Weight=100))
out["webBlueKept"] = any(r["Name"] == "web.py.example.org." for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"])

pool = idp.create_user_pool(PoolName="py-pool")["UserPool"]
api = apigw.create_rest_api(name="py-api")["id"]
root = apigw.get_resources(restApiId=api)["items"][0]["id"]
apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
auth = apigw.create_authorizer(restApiId=api, name="c", type="COGNITO_USER_POOLS", providerARNs=[pool["Arn"]], identitySource="method.request.header.Authorization")["id"]
big = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/" + "x" * 8200}]})
attempt("policyTooLong", lambda: apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": big}]))
attempt("deployFirst", lambda: apigw.create_deployment(restApiId=api, stageName="s1"))
attempt("deployTooSoon", lambda: apigw.create_deployment(restApiId=api, stageName="s1"))
many = [{"op": "replace", "path": f"/variables/v{i}", "value": "x"} for i in range(101)]
attempt("stageVariablesTooMany", lambda: apigw.update_stage(restApiId=api, stageName="s1", patchOperations=many))
attempt("stageVariableBadName", lambda: apigw.update_stage(restApiId=api, stageName="s1", patchOperations=[{"op": "replace", "path": "/variables/bad-name", "value": "x"}]))
attempt("stageVariableBadValue", lambda: apigw.update_stage(restApiId=api, stageName="s1", patchOperations=[{"op": "replace", "path": "/variables/ok", "value": "has space"}]))
attempt("authorizerBadArn", lambda: apigw.update_authorizer(restApiId=api, authorizerId=auth, patchOperations=[{"op": "add", "path": "/providerARNs", "value": "not-an-arn"}]))
missing = pool["Arn"].rsplit("/", 1)[0] + "/eu-west-2_Nope12345"
attempt("authorizerMissingPool", lambda: apigw.update_authorizer(restApiId=api, authorizerId=auth, patchOperations=[{"op": "add", "path": "/providerARNs", "value": missing}]))
attempt("authorizerDuplicate", lambda: apigw.update_authorizer(restApiId=api, authorizerId=auth, patchOperations=[{"op": "add", "path": "/providerARNs", "value": pool["Arn"]}]))
attempt("authorizerIndexPath", lambda: apigw.update_authorizer(restApiId=api, authorizerId=auth, patchOperations=[{"op": "remove", "path": "/providerARNs/0"}]))
apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]})}])
out["policyForm"] = apigw.get_rest_api(restApiId=api).get("policy")
apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": ""}])
out["policyClearedOmitted"] = "policy" not in apigw.get_rest_api(restApiId=api)
codes = set()
for i in range(60):
    try:
        idp.admin_create_user(UserPoolId=pool["Id"], Username=f"user{i}@example.org", MessageAction="SUPPRESS")
        codes.add("ok")
    except idp.exceptions.ClientError as error:
        codes.add(error.response["Error"]["Code"])
out["adminCreateUserQuota"] = sorted(codes)
print(json.dumps(out))
