#!/usr/bin/env python3
"""Checks real gateway answers against docs/openapi.json.

    validate_openapi.py docs/openapi.json samples.json

`samples.json` is a list of {"method", "path" (the OpenAPI path template), "status",
"contentType", "headers" (lower-case names), "body" (parsed JSON, or null)} that a Swift test
collected from a running gateway. For each sample the document must describe the operation and
its status, and a JSON body must validate against that response's schema (with the document's
`additionalProperties: false`, so a field the schema does not name is an error). The document
itself must be valid OpenAPI 3.1. Exit status 1 lists every problem.
"""

import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec


def main(document_path: str, samples_path: str) -> int:
    with open(document_path, encoding="utf-8") as fh:
        document = json.load(fh)
    with open(samples_path, encoding="utf-8") as fh:
        samples = json.load(fh)
    problems = []
    try:
        validate_spec(document)
    except Exception as exc:  # the validator raises several kinds
        problems.append(f"{document_path} is not valid OpenAPI 3.1: {exc}")

    covered = set()
    for sample in samples:
        where = f"{sample['method']} {sample['path']} → {sample['status']}"
        operation = document.get("paths", {}).get(sample["path"], {}).get(sample["method"].lower())
        if operation is None:
            problems.append(f"{where}: the operation is not documented")
            continue
        covered.add((sample["method"].upper(), sample["path"]))
        response = operation.get("responses", {}).get(str(sample["status"])) or operation.get("responses", {}).get("default")
        if response is None:
            problems.append(f"{where}: status {sample['status']} is not documented")
            continue
        if "$ref" in response:
            response = resolve(document, response["$ref"])
        content = response.get("content") or {}
        media = sample.get("contentType") or ""
        if sample.get("body") is None:
            if media.startswith("application/json") or media.startswith("application/fhir+json"):
                problems.append(f"{where}: a JSON answer without a body")
            continue
        kind = "application/fhir+json" if media.startswith("application/fhir+json") else "application/json"
        schema = (content.get(kind) or {}).get("schema")
        if schema is None:
            problems.append(f"{where}: the document gives no JSON schema for this answer (it has {list(content)})")
            continue
        # Resolve "#/components/..." against the document: the schema travels with them.
        root = dict(schema)
        root["components"] = document.get("components", {})
        validator = Draft202012Validator(root)
        for error in sorted(validator.iter_errors(sample["body"]), key=lambda e: list(e.path)):
            location = "/".join(str(p) for p in error.path) or "(body)"
            problems.append(f"{where}: {location}: {error.message}")
        for header in (response.get("headers") or {}):
            spec = response["headers"][header]
            if "$ref" in spec:
                spec = resolve(document, spec["$ref"])
            if spec.get("required") and header.lower() not in sample.get("headers", {}):
                problems.append(f"{where}: required header {header} is missing")

    for path, item in document.get("paths", {}).items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete") and (method.upper(), path) not in covered:
                problems.append(f"{method.upper()} {path}: no sample answer was checked")

    for problem in problems:
        print(problem)
    print(f"{len(samples)} answers checked, {len(problems)} problems")
    return 1 if problems else 0


def resolve(document, ref: str):
    node = document
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
