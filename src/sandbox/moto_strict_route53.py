"""Route 53 as strict as AWS for the calls `route53.switchRecord` makes (moto 5.2.1 is lenient).

Each patch is small and written as it would be for upstream moto: the same models, exceptions and
serializers, so unmodified SDKs parse the answers. Error codes are AWS's own (botocore's model);
messages follow what Route 53 answers where it is documented or commonly quoted.
"""

from __future__ import annotations

import datetime
import random
import string
from typing import Any

ROUTING_FIELDS = ("Weight", "Region", "Failover", "GeoLocation", "MultiValueAnswer", "GeoProximityLocation", "CidrRoutingConfig")
"""The routing-policy members of a ResourceRecordSet; a set with a SetIdentifier has exactly one."""

# Change ids moto hands out from calls other than ChangeResourceRecordSets (CreateHostedZone,
# DeleteHostedZone, VPC association): GetChange on them stays answerable.
_FIXED_CHANGE_IDS = ("C1PA6795UKMFR9", "C2682N5HXP0BZ4", "a1b2c3d4")


def fqdn(name: str) -> str:
    name = (name or "").strip().lower().replace("\\052", "*")
    return name if name.endswith(".") else name + "."


def _values(records: Any) -> list[str]:
    return sorted(r["Value"] if isinstance(r, dict) else str(r) for r in (records or []))


def _alias_key(alias: Any) -> Any:
    if not alias:
        return None
    return (fqdn(alias.get("DNSName", "")), alias.get("HostedZoneId"), str(alias.get("EvaluateTargetHealth", False)).lower())


def _key(rr: dict[str, Any]) -> tuple[str, str, Any]:
    return (fqdn(rr.get("Name", "")), rr.get("Type", ""), rr.get("SetIdentifier"))


def _from_model(rrset: Any) -> dict[str, Any]:
    """A stored moto RecordSet as the request dict it was made from."""
    out: dict[str, Any] = {"Name": rrset.name, "Type": rrset.type}
    if rrset.set_identifier is not None:
        out["SetIdentifier"] = rrset.set_identifier
    for field, attr in (("Weight", "weight"), ("Region", "region"), ("Failover", "failover"), ("GeoLocation", "geo_location"), ("MultiValueAnswer", "multi_value_answer"), ("HealthCheckId", "health_check_id")):
        if getattr(rrset, attr, None) is not None:
            out[field] = getattr(rrset, attr)
    if rrset.alias_target:
        out["AliasTarget"] = rrset.alias_target
    else:
        out["TTL"] = rrset.ttl
        out["ResourceRecords"] = [{"Value": v} for v in _values(rrset.records)]
    return out


def _same_values(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether a DELETE names the live set exactly: TTL, values or alias target, routing fields."""

    def norm(rr: dict[str, Any]) -> tuple[Any, ...]:
        ttl = None if rr.get("AliasTarget") else (int(rr["TTL"]) if rr.get("TTL") is not None else None)
        routing = tuple(str(rr.get(f)) if rr.get(f) is not None else None for f in ROUTING_FIELDS + ("HealthCheckId",))
        return (ttl, _values(rr.get("ResourceRecords")), _alias_key(rr.get("AliasTarget")), routing)

    return norm(a) == norm(b)


def _describe(rr: dict[str, Any]) -> str:
    sid = rr.get("SetIdentifier")
    return f"[name='{fqdn(rr.get('Name', ''))}', type='{rr.get('Type')}'" + (f", set-identifier='{sid}'" if sid is not None else "") + "]"


def _change_ref(action: str, rr: dict[str, Any]) -> str:
    return f"Change with [Action={action}, Name={rr.get('Name')}, Type={rr.get('Type')}, SetIdentifier={rr.get('SetIdentifier', 'null')}]"


def validate_record(action: str, rr: dict[str, Any], zone_name: str) -> None:
    """Rules on one record set of a change, whatever the zone holds.

    - An alias record has no TTL and no ResourceRecords: "Expected exactly one of [AliasTarget, all
      of [TTL, and ResourceRecords], or TrafficPolicyInstanceId]" (InvalidInput).
      https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html (TTL, AliasTarget)
    - A record with a SetIdentifier has exactly one routing field (Weight for weighted...).
      https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html (SetIdentifier)
    - A CNAME may not be created at the zone apex (RFC 1912 2.4; Route 53 "You can't create a
      CNAME record at the zone apex").
      https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat
    """
    from moto.route53.exceptions import InvalidInput

    has_alias = bool(rr.get("AliasTarget"))
    has_values = rr.get("TTL") is not None or bool(rr.get("ResourceRecords"))
    if has_alias and has_values:
        raise InvalidInput(f"Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in {_change_ref(action, rr)}")
    if not has_alias and (rr.get("TTL") is None or not rr.get("ResourceRecords")):
        raise InvalidInput(f"Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in {_change_ref(action, rr)}")
    routing = [f for f in ROUTING_FIELDS if rr.get(f) is not None]
    if rr.get("SetIdentifier") is not None and len(routing) != 1:
        which = "none" if not routing else "more than one"
        raise InvalidInput(f"Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found {which} in {_change_ref(action, rr)}")
    if rr.get("SetIdentifier") is None and routing:
        raise InvalidInput(f"Invalid request: Missing field 'SetIdentifier' in {_change_ref(action, rr)}")
    if action != "DELETE" and rr.get("Type") == "CNAME" and fqdn(rr.get("Name", "")) == fqdn(zone_name):
        _invalid_batch(f"RRSet of type CNAME with DNS name {fqdn(rr.get('Name', ''))} is not permitted at apex in zone {fqdn(zone_name)}")


def validate_zone(records: list[dict[str, Any]], zone_name: str, touched: set[str]) -> None:
    """Rules on the record sets of one name, checked on the zone as the whole batch leaves it.

    - A CNAME shares its name with no record of another type (RFC 1034 3.6.2).
      https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat
    - Routed and non-routed sets of one name and type do not mix, and routed sets of one name and
      type share one routing policy and, when they have values, one TTL ("must contain the same TTL").
      https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-weighted.html
    """
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rr in records:
        by_name.setdefault(fqdn(rr["Name"]), []).append(rr)
    for name in sorted(touched):
        here = by_name.get(name, [])
        types = sorted({rr["Type"] for rr in here})
        if "CNAME" in types and len(types) > 1:
            other = next(t for t in types if t != "CNAME")
            _invalid_batch(f"RRSet of type CNAME with DNS name {name} is not permitted because a conflicting RRSet of type {other} with the same DNS name already exists in zone {fqdn(zone_name)}")
        for rtype in types:
            sets = [rr for rr in here if rr["Type"] == rtype]
            routed = [rr for rr in sets if rr.get("SetIdentifier") is not None]
            if routed and len(routed) != len(sets):
                _invalid_batch(f"RRSet with DNS name {name} and type {rtype} cannot be created as a non-routed set with the same name and type exists")
            policies = {next((f for f in ROUTING_FIELDS if rr.get(f) is not None), None) for rr in routed}
            if len(policies) > 1:
                _invalid_batch(f"RRSet with DNS name {name} and type {rtype} cannot be created because other RRSets with the same name and type have a different routing policy")
            ttls = {int(rr["TTL"]) for rr in routed if not rr.get("AliasTarget") and rr.get("TTL") is not None}
            if len(ttls) > 1:
                policy = next(iter(policies)) or "routed"
                kind = {"Weight": "weighted"}.get(policy, policy.lower())
                _invalid_batch(f"RRSet with DNS name {name}, type {rtype}, and {kind} routing policy must contain the same TTL as other RRSets with the same name and type (found {', '.join(str(t) for t in sorted(ttls))})")


def _invalid_batch(message: str) -> None:
    from moto.route53.exceptions import Route53ClientError

    raise Route53ClientError("InvalidChangeBatch", message)


def apply_changes(zone: Any, change_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The zone's record sets (as request dicts) after the batch, or an error; nothing is changed.

    A batch is one transaction on AWS: every change is checked against the zone as the changes
    before it leave it, and nothing applies unless all do.
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
    """
    from moto.route53.exceptions import DnsNameInvalidForZone, InvalidActionValue
    from moto.route53.exceptions import ResourceRecordAlreadyExists

    records = [_from_model(r) for r in zone.rrsets]
    touched: set[str] = set()
    for change in change_list:
        action = change.get("Action")
        rr = change["ResourceRecordSet"]
        if action not in ("CREATE", "UPSERT", "DELETE"):
            raise InvalidActionValue(str(action))
        name = fqdn(rr.get("Name", ""))
        zone_name = fqdn(zone.name)
        if name != zone_name and not name.endswith("." + zone_name):
            raise DnsNameInvalidForZone(name=rr.get("Name", ""), zone_name=zone.name)
        validate_record(action, rr, zone.name)
        at = next((i for i, r in enumerate(records) if _key(r) == _key(rr)), None)
        if action == "CREATE":
            if at is not None:
                raise ResourceRecordAlreadyExists(name=name, _type=rr.get("Type"))
            records.append(rr)
        elif action == "UPSERT":
            if at is None:
                records.append(rr)
            else:
                records[at] = rr
        else:
            # "To delete a resource record set, you must specify all the same values that you
            # specified when you created it." -- and only that set: name, type and SetIdentifier.
            if at is None:
                _invalid_batch(f"Tried to delete resource record set {_describe(rr)} but it was not found")
            elif not _same_values(records[at], rr):
                _invalid_batch(f"Tried to delete resource record set {_describe(rr)} but the values provided do not match the current values")
            else:
                records.pop(at)
        touched.add(name)
    validate_zone(records, zone.name, touched)
    return records


def patch_change_resource_record_sets() -> None:
    """ChangeResourceRecordSets validated as one transaction, and DELETE removing only its own set.

    Fixes moto's DELETE of a set with a SetIdentifier, which removes every set in the zone with
    that identifier whatever its name (FakeZone.delete_rrset_by_id).
    """
    from moto.route53.models import RecordSet, Route53Backend

    def change_resource_record_sets(self: Route53Backend, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        zone = self.get_hosted_zone(zoneid)
        after = apply_changes(zone, change_list)
        kept = {_key(_from_model(r)): r for r in zone.rrsets}
        rrsets = []
        for rr in after:
            old = kept.get(_key(rr))
            if old is not None and _from_model(old) == rr:
                rrsets.append(old)
                continue
            stored = dict(rr)
            stored["Name"] = rr["Name"] if rr["Name"].endswith(".") else rr["Name"] + "."
            if "ResourceRecords" in stored:
                stored["ResourceRecords"] = [v["Value"] if isinstance(v, dict) else v for v in stored["ResourceRecords"]]
            rrsets.append(RecordSet(stored))
        zone.rrsets = rrsets
        for change in change_list:
            zone.rr_changes.append(change)

    Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]


def patch_alias_has_no_ttl() -> None:
    """An alias record set is listed without a TTL; moto lists TTL 0, which AWS would refuse back.

    https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html (TTL:
    "If you're creating or updating an alias resource record set, omit TTL.")
    """
    from moto.route53.models import RecordSet

    original = RecordSet.__init__

    def __init__(self: Any, kwargs: dict[str, Any]) -> None:
        original(self, kwargs)
        if self.alias_target and kwargs.get("TTL") is None:
            self.ttl = None

    RecordSet.__init__ = __init__  # type: ignore[method-assign]


def _new_change_id() -> str:
    return "C" + "".join(random.choices(string.ascii_uppercase + string.digits, k=20))


def patch_change_ids() -> None:
    """Each change gets an id of its own; GetChange of an id never issued is NoSuchChange (404).

    https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html (Errors: NoSuchChange)
    """
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.route53.exceptions import InvalidChangeBatch, Route53ClientError
    from moto.route53.responses import Route53

    def journal(backend: Any) -> dict[str, datetime.datetime]:
        if not hasattr(backend, "_strict_changes"):
            backend._strict_changes = {}
        return backend._strict_changes

    def change_resource_record_sets(self: Route53) -> ActionResult:
        zoneid = self._get_param("HostedZoneId")
        change_list = self._get_param("ChangeBatch.Changes") or []
        # A request holds at most 1,000 ResourceRecord elements, UPSERT counting twice.
        count = sum(len(c["ResourceRecordSet"].get("ResourceRecords") or []) * (2 if c.get("Action") == "UPSERT" else 1) for c in change_list)
        if count > 1000:
            raise InvalidChangeBatch
        self.backend.change_resource_record_sets(zoneid, change_list)
        change_id = _new_change_id()
        submitted = utcnow()
        journal(self.backend)[change_id] = submitted
        return ActionResult({"ChangeInfo": {"Id": f"/change/{change_id}", "Status": "INSYNC", "SubmittedAt": submitted}})

    def get_change(self: Route53) -> ActionResult:
        change_id = (self._get_param("Id") or "").split("/")[-1]
        submitted = journal(self.backend).get(change_id)
        if submitted is None and change_id not in _FIXED_CHANGE_IDS:
            raise Route53ClientError("NoSuchChange", f"A change with the specified change ID does not exist: {change_id}")
        return ActionResult({"ChangeInfo": {"Id": f"/change/{change_id}", "Status": "INSYNC", "SubmittedAt": submitted or utcnow()}})

    Route53.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
    Route53.get_change = get_change  # type: ignore[method-assign]


def _reversed_name(name: str) -> str:
    return ".".join(reversed(fqdn(name).rstrip(".").split(".")))


def patch_list_paging() -> None:
    """ListResourceRecordSets pages by name, type and SetIdentifier, as AWS does.

    Sets are listed by name (labels reversed), then type, then SetIdentifier; a page that ends
    inside a routed name says where to go on with NextRecordIdentifier, and StartRecordIdentifier
    is honoured. https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
    """
    from moto.core.responses import ActionResult
    from moto.route53.exceptions import InvalidInput
    from moto.route53.responses import Route53

    def list_resource_record_sets(self: Route53) -> ActionResult:
        zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
        start_name = self._get_param("StartRecordName")
        start_type = self._get_param("StartRecordType")
        start_id = self._get_param("StartRecordIdentifier")
        max_items = self._get_int_param("MaxItems", 300)
        if (start_type and not start_name) or (start_id and not start_type):
            raise InvalidInput("The input is not valid")
        ordered = sorted(zone.rrsets, key=lambda r: (_reversed_name(r.name), r.type, r.set_identifier or ""))
        if start_name:
            start = (_reversed_name(start_name), start_type or "", start_id or "")
            ordered = [r for r in ordered if (_reversed_name(r.name), r.type if start_type else "", (r.set_identifier or "") if start_id else "") >= start]
        page, rest = ordered[:max_items], ordered[max_items:]
        result: dict[str, Any] = {"ResourceRecordSets": page, "IsTruncated": bool(rest), "MaxItems": max_items}
        if rest:
            result["NextRecordName"] = rest[0].name
            result["NextRecordType"] = rest[0].type
            if rest[0].set_identifier is not None:
                result["NextRecordIdentifier"] = rest[0].set_identifier
        return ActionResult(result)

    Route53.list_resource_record_sets = list_resource_record_sets  # type: ignore[method-assign]


def refuse_private_zone(zone: Any) -> None:
    """TestDNSAnswer answers only for public hosted zones.

    https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html ("You can use
    TestDnsAnswer only for public hosted zones").
    """
    from moto.route53.exceptions import InvalidInput

    if zone.private_zone:
        raise InvalidInput(f"TestDNSAnswer is supported only for public hosted zones; {zone.id} is a private hosted zone")


def install() -> None:
    patch_change_resource_record_sets()
    patch_alias_has_no_ttl()
    patch_change_ids()
    patch_list_paging()
