#!/usr/bin/env python3
"""Validates the FHIR resources a Swift test collected from a running gateway.

    validate_fhir.py resources.json

`resources.json` is a list of FHIR JSON resources (searchset Bundles of AuditEvents, and
OperationOutcomes). Each is validated against FHIR R4 (R4B, whose AuditEvent, Bundle and
OperationOutcome are R4's) with `fhir.resources`: element names, types and cardinality, unknown
elements refused. `fhir.resources` does not check required value-set bindings, so they are
checked here, with the shape of IHE Basic Audit Log Patterns' RESTful read (IHE.BasicAudit.Read):
type rest, subtype read, action R, an outcome code, a requesting agent with a purposeOfUse from
HL7 v3 ActReason, the server and client agents, the source with its observer, and the patient
entity. Exit status 1 lists every problem.
"""

import json
import sys

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PURPOSES = {"TREAT", "ETREAT", "HOPERAT", "HPAYMT", "HRESCH", "PUBHLTH", "PATRQT", "HLEGAL"}
ISSUE_TYPES = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired", "forbidden",
    "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found", "deleted", "too-long",
    "code-invalid", "extension", "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
    "exception", "timeout", "incomplete", "throttled", "informational",
}


def codings(concept):
    return (concept or {}).get("coding") or []


def check_audit_event(event, where, problems):
    def need(condition, what):
        if not condition:
            problems.append(f"{where}: {what}")

    t = event.get("type") or {}
    need(t.get("system") == AUDIT_EVENT_TYPE and t.get("code") == "rest", "type is not audit-event-type#rest")
    need(any(c.get("system") == RESTFUL and c.get("code") == "read" for c in event.get("subtype") or []), "no subtype restful-interaction#read")
    need(event.get("action") == "R", "action is not R")
    need(event.get("outcome") in ("0", "4", "8", "12"), f"outcome {event.get('outcome')!r} is not in AuditEventOutcome")
    need(event.get("outcome") == "0" or event.get("outcomeDesc"), "a failure without outcomeDesc")
    agents = event.get("agent") or []
    requestors = [a for a in agents if a.get("requestor")]
    need(len(requestors) == 1, "not exactly one requesting agent")
    for agent in requestors:
        purposes = [c for p in agent.get("purposeOfUse") or [] for c in codings(p)]
        need(all(c.get("system") == ACT_REASON and c.get("code") in PURPOSES for c in purposes), "a purposeOfUse outside HL7 v3 PurposeOfUse")
        need(((agent.get("who") or {}).get("identifier") or {}).get("value"), "the requesting agent names nobody")
    roles = {c.get("code") for a in agents for c in codings(a.get("type")) if c.get("system") == DCM}
    need({"110152", "110153"} <= roles, "no server (DCM 110152) and client (DCM 110153) agents")
    need(((event.get("source") or {}).get("observer") or {}).get("identifier"), "the source has no observer")
    entities = event.get("entity") or []
    need(any((e.get("role") or {}).get("system") == OBJECT_ROLE and (e.get("role") or {}).get("code") == "4" for e in entities), "no record entity")
    for entity in entities:
        for key in ("type", "role"):
            coding = entity.get(key)
            if coding is not None:
                need(coding.get("system") in (ENTITY_TYPE, OBJECT_ROLE), f"entity {key} from {coding.get('system')}")


def main(path):
    with open(path, encoding="utf-8") as fh:
        resources = json.load(fh)
    problems, events = [], 0
    for n, resource in enumerate(resources):
        kind = resource.get("resourceType")
        where = f"resource {n} ({kind})"
        model = {"Bundle": Bundle, "OperationOutcome": OperationOutcome, "AuditEvent": AuditEvent}.get(kind)
        if model is None:
            problems.append(f"{where}: not a resource this gateway answers")
            continue
        try:
            model.model_validate(resource)
        except Exception as exc:  # pydantic's ValidationError lists every field
            problems.append(f"{where}: not valid FHIR R4: {exc}")
            continue
        if kind == "Bundle":
            if resource.get("type") != "searchset":
                problems.append(f"{where}: type is not searchset")
            for link in resource.get("link") or []:
                if link.get("relation") not in ("self", "next", "previous", "first", "last"):
                    problems.append(f"{where}: link relation {link.get('relation')!r}")
            for i, entry in enumerate(resource.get("entry") or []):
                event = entry.get("resource") or {}
                if event.get("resourceType") != "AuditEvent":
                    problems.append(f"{where} entry {i}: not an AuditEvent")
                    continue
                events += 1
                check_audit_event(event, f"{where} entry {i}", problems)
        elif kind == "AuditEvent":
            events += 1
            check_audit_event(resource, where, problems)
        else:
            for issue in resource.get("issue") or []:
                if issue.get("code") not in ISSUE_TYPES:
                    problems.append(f"{where}: issue code {issue.get('code')!r} is not an IssueType")
    for problem in problems:
        print(problem)
    print(f"{len(resources)} resources ({events} AuditEvents) checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
