#!/usr/bin/env python3
"""Validates the FHIR resources a Swift test collected from a running gateway.

    validate_fhir.py resources.json

`resources.json` is a list of FHIR JSON resources (searchset Bundles of AuditEvents or of
DocumentReferences, DocumentReferences, and OperationOutcomes). Each is validated against FHIR R4 (R4B, whose AuditEvent, Bundle and
OperationOutcome are R4's) with `fhir.resources`: element names, types and cardinality, unknown
elements refused. `fhir.resources` does not check required value-set bindings, so they are
checked here, and so are the rules of IHE Basic Audit Log Patterns' PatientRead profile
(IHE.BasicAudit.PatientRead, from its FSH source): the agent slices client (DICOM 110152), server
(DICOM 110153) and user (ParticipationType IRCP), each once, client and server with who and
network; the entity slices data (exactly one System Object, with a RestObjectRoles role),
transaction (at most one, BALP XrequestId, with an identifier value) and patient (exactly one);
type rest, subtype read, action R. A refusal is checked against the same slices (its outcome is 4
or 8). A release in a declared emergency (break-glass) is a security alert instead: type DICOM
110113 "Security Alert", subtype DICOM 110127 "Emergency Override Started" and restful read,
purpose of use ETREAT, one entity of type Other (4) with role Security Resource (13) naming the
declaration; the PatientRead slices otherwise hold (it is still a read of one record). Exit
status 1 lists every problem.
"""

import json
import sys

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
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


PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
BALP_ENTITY = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
NETWORK_TYPES = {"1", "2", "3", "4", "5"}
REST_OBJECT_ROLES = {"4", "3", "20"}
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def has_coding(concept_or_coding, system, code):
    """A pattern match: the CodeableConcept (or Coding) holds system#code."""
    items = concept_or_coding.get("coding") if "coding" in (concept_or_coding or {}) else [concept_or_coding or {}]
    return any(c.get("system") == system and c.get("code") == code for c in items or [])


def check_network(agent, name, need):
    network = agent.get("network")
    need(network is not None, f"agent[{name}] has no network (1..1)")
    if network is None:
        return
    absent = [e for e in network.get("extension") or [] if e.get("url") == DATA_ABSENT]
    if absent:
        need(not network.get("address"), f"agent[{name}].network has an address and a data-absent-reason")
    else:
        need(network.get("address"), f"agent[{name}].network has no address")
        need(network.get("type") in NETWORK_TYPES, f"agent[{name}].network.type {network.get('type')!r} is not a network-type")


def check_balp_patient_read(event, where, problems):
    """IHE BALP IHE.BasicAudit.Read and .PatientRead (input/fsh/PatientRead.fsh): the slices
    of a successful read, discriminated by type pattern, with their cardinalities and fixed values."""
    def need(condition, what):
        if not condition:
            problems.append(f"{where}: BALP PatientRead: {what}")

    if not is_security_alert(event):
        need(has_coding(event.get("type"), AUDIT_EVENT_TYPE, "rest"), "type is not audit-event-type#rest")
    subtypes = event.get("subtype") or []
    need(len(subtypes) >= 1 and sum(has_coding(c, RESTFUL, "read") for c in subtypes) <= 1, "subtype 1.. with at most one read")
    need(event.get("action") == "R", "action is not R")
    need(event.get("recorded"), "no recorded")
    need(event.get("outcome") == "0", "outcome is not 0")
    agents = event.get("agent") or []
    need(len(agents) >= 2, "fewer than 2 agents")
    slices = {
        "client": [a for a in agents if has_coding(a.get("type"), DCM, "110152")],
        "server": [a for a in agents if has_coding(a.get("type"), DCM, "110153")],
        "user": [a for a in agents if has_coding(a.get("type"), PARTICIPATION, "IRCP")],
    }
    for name, low in (("client", 1), ("server", 1), ("user", 0)):
        need(low <= len(slices[name]) <= 1, f"agent[{name}] appears {len(slices[name])} times")
    for name in ("client", "server"):
        for agent in slices[name]:
            need(agent.get("who"), f"agent[{name}] has no who (1..1)")
            check_network(agent, name, need)
            need(not agent.get("media"), f"agent[{name}] has media (0..0)")
    for agent in slices["user"]:
        need(agent.get("who"), "agent[user] has no who (1..1)")
        need(agent.get("requestor") is True, "agent[user].requestor is not true")
        need(not agent.get("network"), "agent[user] has a network (0..0)")
        need(not agent.get("media"), "agent[user] has media (0..0)")
    entities = event.get("entity") or []
    data = [e for e in entities if has_coding(e.get("type"), ENTITY_TYPE, "2")]
    transaction = [e for e in entities if has_coding(e.get("type"), BALP_ENTITY, "XrequestId")]
    patient = [e for e in entities if has_coding(e.get("type"), ENTITY_TYPE, "1")]
    need(len(data) == 1, f"entity[data] appears {len(data)} times (1..1)")
    for entity in data:
        need(entity.get("what"), "entity[data] has no what (1..1)")
        role = entity.get("role") or {}
        need(role.get("system") == OBJECT_ROLE and role.get("code") in REST_OBJECT_ROLES, "entity[data].role is not from RestObjectRoles")
    need(len(transaction) <= 1, f"entity[transaction] appears {len(transaction)} times (0..1)")
    for entity in transaction:
        need(((entity.get("what") or {}).get("identifier") or {}).get("value"), "entity[transaction].what.identifier.value missing (1..1)")
    need(len(patient) == 1, f"entity[patient] appears {len(patient)} times (1..1)")
    for entity in patient:
        need(has_coding(entity.get("role"), OBJECT_ROLE, "1"), "entity[patient].role is not object-role#1")
        what = entity.get("what") or {}
        need(what and what.get("type", "Patient") == "Patient" and (what.get("reference") or what.get("identifier")), "entity[patient].what is not a Patient reference")
    need(len(entities) >= 2, "fewer than 2 entities")


def is_security_alert(event):
    return has_coding(event.get("type"), DCM, "110113")


def check_security_alert(event, where, problems):
    """A release in a declared emergency: DICOM's Security Alert with Emergency Override Started."""
    def need(condition, what):
        if not condition:
            problems.append(f"{where}: emergency security alert: {what}")

    t = event.get("type") or {}
    need(t.get("display") == "Security Alert", "type display is not Security Alert")
    subtypes = event.get("subtype") or []
    need(any(has_coding(c, DCM, "110127") for c in subtypes), "no subtype DCM#110127 (Emergency Override Started)")
    need(event.get("outcome") == "0", "an emergency release that is not a success")
    requestors = [a for a in event.get("agent") or [] if a.get("requestor")]
    purposes = [c.get("code") for a in requestors for p in a.get("purposeOfUse") or [] for c in codings(p)]
    need(purposes == ["ETREAT"], f"purpose of use {purposes}, not ETREAT")
    declarations = [e for e in event.get("entity") or [] if has_coding(e.get("type"), ENTITY_TYPE, "4") and has_coding(e.get("role"), OBJECT_ROLE, "13")]
    need(len(declarations) == 1 and ((declarations[0].get("what") or {}).get("identifier") or {}).get("value"), "no entity naming the declared emergency")


def check_audit_event(event, where, problems):
    def need(condition, what):
        if not condition:
            problems.append(f"{where}: {what}")

    t = event.get("type") or {}
    if is_security_alert(event):
        check_security_alert(event, where, problems)
    else:
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
    need(((event.get("source") or {}).get("observer") or {}).get("identifier"), "the source has no observer")
    entities = event.get("entity") or []
    for entity in entities:
        for key in ("type", "role"):
            coding = entity.get(key)
            if coding is not None:
                need(coding.get("system") in (ENTITY_TYPE, OBJECT_ROLE, BALP_ENTITY), f"entity {key} from {coding.get('system')}")
    # A served read with a known patient is a BALP PatientRead; a refusal keeps the same agents
    # and entities (its outcome is 4 or 8, which the profile, for successes, does not allow).
    shaped = dict(event, outcome="0")
    if any(has_coding(e.get("type"), ENTITY_TYPE, "1") for e in entities) or event.get("outcome") == "0":
        check_balp_patient_read(shaped, where, problems)


LOINC = "http://loinc.org"
DOCUMENT_STATUSES = {"current", "superseded", "entered-in-error"}


def check_document_reference(document, where, problems):
    """The required binding of status, and what this gateway promises of every record: a
    LOINC type when it has one, the patient as subject, one attachment with its content type."""
    def need(condition, what):
        if not condition:
            problems.append(f"{where}: {what}")

    need(document.get("status") in DOCUMENT_STATUSES, f"status {document.get('status')!r} is not a DocumentReferenceStatus")
    for coding in codings(document.get("type")):
        need(coding.get("system") == LOINC and coding.get("code"), "type is not a LOINC code")
    need((document.get("subject") or {}).get("type") == "Patient", "subject is not the patient")
    content = document.get("content") or []
    need(len(content) == 1 and (content[0].get("attachment") or {}).get("contentType"), "not one attachment with its content type")


def main(path):
    with open(path, encoding="utf-8") as fh:
        resources = json.load(fh)
    problems, events, documents = [], 0, 0
    for n, resource in enumerate(resources):
        kind = resource.get("resourceType")
        where = f"resource {n} ({kind})"
        model = {"Bundle": Bundle, "OperationOutcome": OperationOutcome, "AuditEvent": AuditEvent, "DocumentReference": DocumentReference}.get(kind)
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
                if event.get("resourceType") == "DocumentReference":
                    documents += 1
                    check_document_reference(event, f"{where} entry {i}", problems)
                    continue
                if event.get("resourceType") != "AuditEvent":
                    problems.append(f"{where} entry {i}: not an AuditEvent")
                    continue
                events += 1
                check_audit_event(event, f"{where} entry {i}", problems)
        elif kind == "DocumentReference":
            documents += 1
            check_document_reference(resource, where, problems)
        elif kind == "AuditEvent":
            events += 1
            check_audit_event(resource, where, problems)
        else:
            for issue in resource.get("issue") or []:
                if issue.get("code") not in ISSUE_TYPES:
                    problems.append(f"{where}: issue code {issue.get('code')!r} is not an IssueType")
    for problem in problems:
        print(problem)
    print(f"{len(resources)} resources ({events} AuditEvents, {documents} DocumentReferences) checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
