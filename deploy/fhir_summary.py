#!/usr/bin/env python3
"""Prints the first AuditEvent of an NDJSON file (`mdrs audit --format fhir`) in a few lines,
for the demo: what a FHIR audit repository receives."""

import json
import sys

lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
event = json.loads(lines[0])
print(f"{len(lines)} AuditEvents; the first: {event['type']['code']}/{event['subtype'][0]['code']}, action {event['action']}, "
      f"outcome {event['outcome']}, recorded {event['recorded']}")
for agent in event["agent"]:
    purposes = "".join(f" for {p['coding'][0]['code']}" for p in agent.get("purposeOfUse", []) if p.get("coding"))
    print(f"  agent {agent['type']['coding'][0]['display']}: {agent['who'].get('display') or agent['who']['identifier']['value']}{purposes}")
for entity in event.get("entity", []):
    identifier = entity["what"]["identifier"]
    print(f"  entity {identifier['system'].rsplit(':', 1)[1]}: {identifier['value']}")
