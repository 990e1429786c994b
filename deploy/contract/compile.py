#!/usr/bin/env python3
"""Compile MedicalAccess.vy into the committed artifact MedicalAccess.json.

    python deploy/contract/compile.py           # (re)write the artifact
    python deploy/contract/compile.py --check   # exit 1 if the artifact is stale

The artifact is {"contractName", "compiler", "evmVersion", "sourceSha256", "abi",
"bytecode", "deployedBytecode"}, written with sorted keys, indent 2 and a trailing
newline so that it diffs cleanly and `--check` can compare bytes.

Vyper has no `error` declarations, so the contract declares its custom errors as
comment lines `# @error Name(type name, ...)`; they are added to the ABI as
{"type": "error"} entries. As a guard against typos, every selector the source
builds with `method_id("Name(types)")` must belong to a declared error, and every
declared error must be used.

The EVM version comes from the source's `# pragma evm-version` line (required),
so the source alone says what it was built for.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTRACT_NAME = "MedicalAccess"
SOURCE = HERE / f"{CONTRACT_NAME}.vy"
ARTIFACT = HERE / f"{CONTRACT_NAME}.json"
COMPILER_VERSION = "0.4.3"

ERROR_LINE = re.compile(r"^#\s*@error\s+(\w+)\((.*)\)\s*$")
ERROR_START = re.compile(r"^#\s*@error\b")
PRAGMA_VERSION = re.compile(r"^#\s*pragma\s+version\s+(\S+)\s*$", re.M)
PRAGMA_EVM = re.compile(r"^#\s*pragma\s+evm-version\s+(\S+)\s*$", re.M)
METHOD_ID_USE = re.compile(r'method_id\(\s*"([^"]+)"')
ABI_TYPE = re.compile(r"^(u?int\d*|address|bool|bytes\d*|string)(\[\d*\])*$")


class CompileError(Exception):
    pass


def parse_errors(source: str) -> list[dict]:
    """The `# @error` declarations as ABI error entries, in source order."""
    errors = []
    seen = set()
    for lineno, line in enumerate(source.splitlines(), 1):
        m = ERROR_LINE.match(line.strip())
        if not m:
            if ERROR_START.match(line.strip()):
                raise CompileError(f"line {lineno}: malformed @error declaration: {line.strip()!r}")
            continue
        name, params = m.group(1), m.group(2).strip()
        inputs = []
        if params:
            for param in params.split(","):
                parts = param.split()
                if len(parts) != 2 or not ABI_TYPE.match(parts[0]):
                    raise CompileError(
                        f"line {lineno}: @error {name}: expected 'type name', got {param.strip()!r}"
                    )
                inputs.append({"name": parts[1], "type": parts[0]})
        if name in seen:
            raise CompileError(f"line {lineno}: @error {name} declared twice")
        seen.add(name)
        errors.append({"type": "error", "name": name, "inputs": inputs})
    return errors


def error_signature(entry: dict) -> str:
    return f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"


def check_error_usage(source: str, errors: list[dict]) -> None:
    declared = {error_signature(e) for e in errors}
    used = set(METHOD_ID_USE.findall(source))
    undeclared = sorted(used - declared)
    unused = sorted(declared - used)
    problems = []
    if undeclared:
        problems.append("raised but not declared with # @error: " + ", ".join(undeclared))
    if unused:
        problems.append("declared with # @error but never raised: " + ", ".join(unused))
    if problems:
        raise CompileError("; ".join(problems))


def build_artifact() -> dict:
    try:
        import vyper
    except ImportError as exc:  # pragma: no cover - environment problem
        raise CompileError(
            "vyper is not importable; run with the project's venv (.venv/bin/python)"
        ) from exc
    if vyper.__version__ != COMPILER_VERSION:
        raise CompileError(f"vyper {COMPILER_VERSION} required, found {vyper.__version__}")

    source_bytes = SOURCE.read_bytes()
    source = source_bytes.decode("utf-8")

    pragma_version = PRAGMA_VERSION.search(source)
    if not pragma_version or pragma_version.group(1) != COMPILER_VERSION:
        raise CompileError(f"{SOURCE.name} must start with '# pragma version {COMPILER_VERSION}'")
    pragma_evm = PRAGMA_EVM.search(source)
    if not pragma_evm:
        raise CompileError(f"{SOURCE.name} must pin the EVM with '# pragma evm-version NAME'")
    evm_version = pragma_evm.group(1)

    errors = parse_errors(source)
    check_error_usage(source, errors)

    try:
        out = vyper.compile_code(
            source,
            contract_path=SOURCE.name,
            output_formats=["abi", "bytecode", "bytecode_runtime"],
        )
    except Exception as exc:  # vyper raises many exception types; report them all alike
        raise CompileError(f"vyper failed:\n{exc}") from exc

    abi = list(out["abi"]) + errors
    return {
        "contractName": CONTRACT_NAME,
        "compiler": f"vyper {COMPILER_VERSION}",
        "evmVersion": evm_version,
        "sourceSha256": hashlib.sha256(source_bytes).hexdigest(),
        "abi": abi,
        "bytecode": out["bytecode"],
        "deployedBytecode": out["bytecode_runtime"],
    }


def render(artifact: dict) -> str:
    return json.dumps(artifact, sort_keys=True, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="recompile and exit 1 if the committed artifact differs",
    )
    args = parser.parse_args(argv)

    try:
        text = render(build_artifact())
    except CompileError as exc:
        print(f"compile.py: error: {exc}", file=sys.stderr)
        return 2

    rel = ARTIFACT.relative_to(HERE.parent.parent) if HERE.parent.parent in ARTIFACT.parents else ARTIFACT
    if args.check:
        if not ARTIFACT.exists():
            print(f"compile.py: {rel} is missing; run: python deploy/contract/compile.py", file=sys.stderr)
            return 1
        current = ARTIFACT.read_text(encoding="utf-8")
        if current != text:
            try:
                old = json.loads(current)
                new = json.loads(text)
                fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                detail = " (differs in: " + ", ".join(fields) + ")" if fields else " (formatting differs)"
            except ValueError:
                detail = " (not valid JSON)"
            print(
                f"compile.py: {rel} is stale{detail}: {SOURCE.name} and the artifact disagree; "
                "run: python deploy/contract/compile.py and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"{rel} is up to date")
        return 0

    ARTIFACT.write_text(text, encoding="utf-8")
    print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
