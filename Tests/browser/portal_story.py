#!/usr/bin/env python3
"""The portal in a real browser (Debian's Chromium, headless, driven by Playwright): the whole
story, each actor in their own browser profile with their own wallet, against a running
gateway (`mdrs serve`), its PostgreSQL and the dev chain, which `deploy/dev test` starts.

    portal_story.py --gateway URL --rpc URL --chain-id N --keys DIR --gateway-pid PID \
        --mdrs PATH --screenshots DIR [--big-mib 256]

Two hospitals: St. Elsewhere (`--gateway`), which holds the record, and County General
(`--gateway2`), whose doctor and portal reach it across the consortium.

Checks, in order: the page's security headers and that it loads nothing from another origin
than the consortium's gateways; the portal's SHA-256 against known vectors and its ABI code
against the contract's ABI and eth-abi; every API error code has a sentence; then the story
(St. Elsewhere's clerk uploads a titled record; County General's doctor, at County General's
portal, asks; the patient, at County General's portal, sees the record by its title and grants;
the doctor sees what it is and downloads it straight from St. Elsewhere's gateway, with
progress, verified against the chain; the patient revokes, the doctor is refused with a readable
sentence; the patient sees both attempts by the doctor's name; St. Elsewhere's auditor's check
passes); then a large upload and download in the browser, with the holding gateway's memory
compared to the same through the CLI. A screenshot of each view is saved.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from eth_abi import encode
from eth_utils import keccak
from playwright.sync_api import expect, sync_playwright

from test_wallet import PROVIDER_JS, TestWallet

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def step(text):
    print(f"[portal] {text}", flush=True)


def read_key(keys, name):
    return (Path(keys) / f"{name}.key").read_text().strip()


def gateway_memory(pid):
    """(current RSS, high-water mark) of the gateway process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


class Portal:
    def __init__(self, browser, args, name, wallet, base=None):
        self.args = args
        self.name = name
        self.wallet = wallet
        self.base = base or args.gateway
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        self.context.expose_function("__mdrsWallet", wallet.handle)
        self.context.add_init_script(PROVIDER_JS)
        self.page = self.context.new_page()
        self.origins = set()
        self.console_errors = []
        self.page.on("request", lambda request: self.origins.add(re.match(r"^(\w+:(//[^/]*)?)", request.url).group(1)))
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(f"{message.text} ({message.location.get('url')})"))
        self.page.on("response", lambda response: response.status == 404 and self.console_errors.append(f"404 {response.url}"))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def open(self, view):
        """A fresh load of the view (what the chain and gateway say now), wallet connected."""
        self.page.goto(f"{self.base}/#/{view}")
        self.page.reload()
        connect = self.page.get_by_role("button", name="Connect wallet to continue")
        connect.wait_for(timeout=20_000)
        connect.click()
        expect(self.page.locator("#account")).to_have_text(self.wallet.address.lower(), timeout=20_000)

    reload = open

    def shot(self, label):
        path = Path(self.args.screenshots) / f"{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        step(f"screenshot {path}")


def check_page_security(args):
    with urllib.request.urlopen(args.gateway + "/") as response:
        csp = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.headers
        assert response.headers["Referrer-Policy"] == "no-referrer", response.headers
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";"))
    assert directives["script-src"] == "'self'", csp
    assert directives["default-src"] == "'none'", csp
    assert directives["frame-ancestors"] == "'none'", csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    # The page may contact this gateway and the consortium's other gateways, as registered
    # on-chain (the ConsortiumOrigins refresh takes up to 10 s after a registration), nothing else.
    for _ in range(30):
        with urllib.request.urlopen(args.gateway + "/") as response:
            csp = response.headers["Content-Security-Policy"]
        directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";"))
        if args.gateway2 in directives["connect-src"]:
            break
        time.sleep(1)
    assert set(directives["connect-src"].split()) <= {"'self'", args.gateway, args.gateway2}, csp
    assert args.gateway2 in directives["connect-src"], csp
    assert all("http" not in value for name, value in directives.items() if name != "connect-src"), csp
    step(f"CSP {csp}")


def check_modules(page, args):
    """The portal's own code against the references."""
    vectors = [b"", b"abc", b"a" * 55, b"a" * 56, b"a" * 64, b"a" * 1000, bytes(range(256)) * 97]
    for data in vectors:
        result = page.evaluate(
            """async ([hex, step]) => {
                const { SHA256, toHex } = await import('/portal/sha256.js');
                const bytes = new Uint8Array(hex.match(/../g)?.map((h) => parseInt(h, 16)) || []);
                const hasher = new SHA256();
                for (let i = 0; i < bytes.length; i += step) hasher.update(bytes.subarray(i, i + step));
                return toHex(hasher.digest());
            }""", [data.hex(), 7])
        assert result == "0x" + hashlib.sha256(data).hexdigest(), (len(data), result)
    step(f"SHA-256 matches hashlib for {len(vectors)} vectors, fed in 7-byte pieces")

    artifact = json.loads((ROOT / "deploy/contract/MedicalAccess.json").read_text())
    def signature(entry):
        def kind(item):
            if item["type"].startswith("tuple"):
                return "(" + ",".join(kind(c) for c in item["components"]) + ")" + item["type"][5:]
            return item["type"]
        return entry["name"] + "(" + ",".join(kind(i) for i in entry["inputs"]) + ")"
    functions = {e["name"]: e for e in artifact["abi"] if e["type"] == "function"}
    events = {e["name"]: e for e in artifact["abi"] if e["type"] == "event"}
    constants = page.evaluate("async () => { const abi = await import('/portal/abi.js'); return { selectors: abi.selectors, topics: abi.topics }; }")
    for name, selector in constants["selectors"].items():
        assert selector == "0x" + keccak(text=signature(functions[name]))[:4].hex(), name
    for name, topic in constants["topics"].items():
        assert topic == "0x" + keccak(text=signature(events[name])).hex(), name

    record, token = "0x" + "ab" * 32, "0x" + "cd" * 32
    staff = "0x" + "12" * 20
    cases = {
        "requestAccess": ({"recordId": record, "purpose": 2}, ["bytes32", "uint8"], [bytes.fromhex("ab" * 32), 2]),
        "grant": ({"staff": staff, "recordId": record, "expiresAt": 1_900_000_000}, ["address", "bytes32", "uint64"],
                  [staff, bytes.fromhex("ab" * 32), 1_900_000_000]),
        "revoke": ({"token": token}, ["bytes32"], [bytes.fromhex("cd" * 32)]),
        "getRecord": ({"recordId": record}, ["bytes32"], [bytes.fromhex("ab" * 32)]),
        "getGrant": ({"token": token}, ["bytes32"], [bytes.fromhex("cd" * 32)]),
        "getCustodian": ({"custodian": staff}, ["address"], [staff]),
        "getStaff": ({"staff": staff}, ["address"], [staff]),
        "declareEmergency": ({"recordId": record, "reason": 3, "justification": token}, ["bytes32", "uint8", "bytes32"],
                             [bytes.fromhex("ab" * 32), 3, bytes.fromhex("cd" * 32)]),
        "getEmergency": ({"emergency": token}, ["bytes32"], [bytes.fromhex("cd" * 32)]),
        "mayDeclareEmergency": ({"staff": staff}, ["address"], [staff]),
    }
    for name, (args_js, types, values) in cases.items():
        data = page.evaluate("async ([name, args]) => (await import('/portal/abi.js')).encodeCall(name, args)", [name, args_js])
        want = "0x" + keccak(text=signature(functions[name]))[:4].hex() + encode(types, values).hex()
        assert data == want, (name, data, want)
    # Decoding the views' results, as eth-abi encodes them.
    record_tuple = encode(["(address,address,bytes32,bytes,uint256)"], [(staff, staff, bytes.fromhex("ab" * 32), b"\x01" * 89, 77)])
    decoded = page.evaluate("async (hex) => (await import('/portal/abi.js')).decodeResult('getRecord', hex)", "0x" + record_tuple.hex())
    assert decoded == {"patient": staff, "custodian": staff, "contentHash": record, "encryptedAddress": "0x" + "01" * 89, "anchoredAt": 77}, decoded
    custodian_tuple = encode(["(string,bool,uint256,string,bytes32)"], [("St. Elsewhere Hospital ✓", True, 5, "https://mdrs.st-elsewhere.example", bytes.fromhex("ef" * 32))])
    decoded = page.evaluate("async (hex) => (await import('/portal/abi.js')).decodeResult('getCustodian', hex)", "0x" + custodian_tuple.hex())
    assert decoded == {"name": "St. Elsewhere Hospital ✓", "active": True, "registeredAt": 5, "gateway": "https://mdrs.st-elsewhere.example", "directory": "0x" + "ef" * 32}, decoded
    other = "0x" + "34" * 20
    emergency_tuple = encode(["(address,address,bytes32,address,address,uint64,uint8,bytes32,uint256,uint64,uint8,address,bytes32)"],
                             [(staff, other, bytes.fromhex("ab" * 32), other, staff, 3, 1, bytes.fromhex("cd" * 32), 42, 1_900_000_000, 2, other, bytes.fromhex("ef" * 32))])
    decoded = page.evaluate("async (hex) => (await import('/portal/abi.js')).decodeResult('getEmergency', hex)", "0x" + emergency_tuple.hex())
    assert decoded == {"staff": staff, "patient": other, "recordId": record, "custodian": other, "staffCustodian": staff, "staffEpoch": 3, "reason": 1,
                       "justification": token, "declaredAt": 42, "expiresAt": 1_900_000_000, "verdict": 2, "reviewer": other,
                       "reviewNote": "0x" + "ef" * 32}, decoded
    step("ABI selectors, topics, call encodings and result decodings match the contract's ABI and eth-abi")

    openapi = json.loads((ROOT / "docs/openapi.json").read_text())
    codes = openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    sentences = page.evaluate("async () => (await import('/portal/errors.js')).sentences")
    missing = [code for code in codes if code not in sentences]
    assert not missing, f"error codes without a sentence: {missing}"
    step(f"every one of the {len(codes)} API error codes has a sentence")


def check_decoded_events(page, wallet, args, contract):
    """Every event the story left on the chain decodes in the page as eth-abi decodes it."""
    logs = wallet.rpc("eth_getLogs", [{"address": contract, "fromBlock": "0x0", "toBlock": "latest"}])
    decoded = page.evaluate("async (logs) => { const abi = await import('/portal/abi.js'); return logs.map(abi.decodeLog); }", logs)
    names = {d["name"] for d in decoded if d}
    expected = {"CustodianRegistered", "StaffRegistered", "RecordAnchored", "AccessRequested", "Granted", "Revoked", "Accessed",
                "EmergencyDeclared", "EmergencyReviewed"}
    assert expected <= names, names
    from eth_abi import decode
    for log, ours in zip(logs, decoded):
        if ours and ours["name"] == "Accessed":
            values = decode(["address", "uint64", "bytes32", "bytes32", "uint8", "uint8", "uint64", "bytes32"], bytes.fromhex(log["data"][2:]))
            assert ours["custodian"] == values[0].lower() and ours["sequence"] == values[1], (ours, values)
            assert ours["requestId"] == "0x" + values[3].hex(), (ours, values)
            assert (ours["purpose"], ours["outcome"], ours["accessedAt"]) == values[4:7], (ours, values)
        if ours and ours["name"] == "EmergencyDeclared":
            values = decode(["bytes32", "address", "uint8", "bytes32", "uint64"], bytes.fromhex(log["data"][2:]))
            assert ours["recordId"] == "0x" + values[0].hex() and ours["custodian"] == values[1].lower(), (ours, values)
            assert (ours["reason"], ours["justification"], ours["expiresAt"]) == (values[2], "0x" + values[3].hex(), values[4]), (ours, values)
        if ours and ours["name"] == "EmergencyReviewed":
            values = decode(["uint8", "bytes32"], bytes.fromhex(log["data"][2:]))
            assert ours["verdict"] == values[0] and ours["note"] == "0x" + values[1].hex(), (ours, values)
        if ours and ours["name"] == "Granted":
            values = decode(["bytes32", "uint64", "address", "uint64"], bytes.fromhex(log["data"][2:]))
            assert ours["recordId"] == "0x" + values[0].hex() and ours["expiresAt"] == values[1], (ours, values)
            assert ours["staffCustodian"] == values[2].lower() and ours["staffEpoch"] == values[3], (ours, values)
    step(f"{len(logs)} contract logs decode in the page as eth-abi decodes them")


def story(args, browser, wallets):
    info = json.loads(urllib.request.urlopen(args.gateway + "/v1/info").read())
    clerk = Portal(browser, args, "clerk", wallets["clerk"])
    # County General's doctor and the patient use County General's portal.
    doctor = Portal(browser, args, "doctor", wallets["doctor3"], base=args.gateway2)
    patient = Portal(browser, args, "patient", wallets["patient"], base=args.gateway2)
    auditor = Portal(browser, args, "auditor", wallets["auditor"])

    clerk.page.goto(args.gateway + "/")
    check_modules(clerk.page, args)

    # The clerk uploads a small text record.
    work = Path(tempfile.mkdtemp(prefix="portal-"))
    record_file = work / "discharge-letter.txt"
    record_file.write_bytes(b"Discharge letter\n\nThe patient is well and may go home.\n" * 200)
    clerk.open("clerk")
    clerk.page.set_input_files("#record-file", str(record_file))
    expect(clerk.page.locator("#record-sha256")).to_contain_text(hashlib.sha256(record_file.read_bytes()).hexdigest(), timeout=20_000)
    clerk.page.fill("#record-patient", wallets["patient"].address)
    clerk.page.fill("#record-title", "Discharge letter, cardiology ward")
    clerk.page.select_option("#record-type", "18842-5")
    clerk.page.fill("#record-date", "2026-11-02")
    clerk.page.fill("#record-author", "Dr. Ana Silva")
    clerk.page.click("#upload-button")
    expect(clerk.page.locator("#anchor-state")).to_contain_text("the chain holds this file's SHA-256 for this patient", timeout=60_000)
    expect(clerk.page.locator("#stored-title")).to_contain_text("Discharge letter, cardiology ward (Discharge summary, 2026-11-02)")
    record_id = clerk.page.locator("#stored-record").inner_text().strip()
    expect(clerk.page.locator("#hospital")).to_have_text("St. Elsewhere Hospital")
    clerk.shot("1-clerk-stored")
    step(f"the clerk stored record {record_id} and saw its anchor confirmed")

    # County General's doctor asks the patient for access.
    doctor.open("doctor")
    expect(doctor.page.locator("#hospital")).to_have_text("County General Hospital", timeout=20_000)
    doctor.page.fill("#request-record", record_id)
    doctor.page.select_option("#request-purpose", "1")
    doctor.page.click("#request-button")
    expect(doctor.page.locator("#notice")).to_contain_text("the patient will see it", timeout=60_000)
    doctor.shot("2-doctor-asked")
    step("the doctor asked for access on-chain")

    # The patient, at County General's portal, sees the record St. Elsewhere holds by its title
    # (read from St. Elsewhere's gateway), the request by the doctor's name, and grants it.
    patient.open("patient")
    expect(patient.page.locator("#my-records")).to_contain_text(record_id, timeout=20_000)
    expect(patient.page.locator("#my-records")).to_contain_text("Discharge letter, cardiology ward", timeout=20_000)
    expect(patient.page.locator("#my-records")).to_contain_text("St. Elsewhere Hospital")
    request_row = patient.page.locator("#requests tbody tr").first
    expect(request_row).to_contain_text("treatment", timeout=20_000)
    expect(request_row).to_contain_text("Dr. Maya Patel, physician, Internal Medicine, County General Hospital")
    expect(request_row).to_contain_text("Discharge letter, cardiology ward")
    request_row.get_by_role("button", name="Grant").click()
    expect(patient.page.locator("#notice")).to_contain_text("Access granted", timeout=60_000)
    expect(patient.page.locator("#grants tbody")).to_contain_text("active", timeout=20_000)
    assert "wallet_switchEthereumChain" in wallets["patient"].calls, "the portal did not ask the wallet to switch chains"
    assert wallets["patient"].current_chain == args.chain_id
    patient.shot("3-patient-granted")
    step("the patient granted access")

    # The doctor sees what the record is and downloads it from St. Elsewhere's gateway, directly.
    doctor.reload("doctor")
    row = doctor.page.locator("#my-grants tbody tr").first
    expect(row).to_contain_text("active", timeout=20_000)
    expect(row).to_contain_text("St. Elsewhere Hospital")
    doctor.page.click("#show-titles")
    expect(row).to_contain_text("Discharge letter, cardiology ward (Discharge summary, 2026-11-02)", timeout=20_000)
    with doctor.page.expect_download(timeout=60_000) as pending:
        row.get_by_role("button", name="Download").click()
    downloaded = work / "downloaded.txt"
    pending.value.save_as(str(downloaded))
    assert pending.value.suggested_filename == "discharge-letter.txt", pending.value.suggested_filename
    assert downloaded.read_bytes() == record_file.read_bytes(), "the downloaded bytes differ"
    expect(doctor.page.locator("#verify-result")).to_contain_text("Verified", timeout=20_000)
    expect(doctor.page.locator("#download-status")).to_contain_text("from St. Elsewhere Hospital's gateway")
    assert args.gateway in doctor.origins, f"the download did not come from the holding hospital's gateway: {doctor.origins}"
    doctor.page.set_input_files("#verify-file", str(downloaded))
    expect(doctor.page.locator("#verify-result")).to_contain_text("Verified", timeout=20_000)
    step("County General's doctor downloaded St. Elsewhere's record from St. Elsewhere's gateway; the bytes and their SHA-256 match the anchor")
    row.get_by_role("button", name="Preview").click()
    expect(doctor.page.locator("#preview-status")).to_contain_text("Verified against the blockchain", timeout=30_000)
    expect(doctor.page.locator(".preview pre")).to_contain_text("The patient is well", timeout=10_000)
    doctor.shot("4-doctor-downloaded-and-previewed")

    # The patient revokes.
    patient.reload("patient")
    revoke = patient.page.locator("#grants").get_by_role("button", name="Revoke").first
    revoke.wait_for(timeout=20_000)
    revoke.click()
    expect(patient.page.locator("#notice")).to_contain_text("Access revoked", timeout=60_000)
    step("the patient revoked the grant")

    # The doctor's next download is refused, in words.
    time.sleep(1.5)  # the gateway sees the revocation's block within a poll interval or two
    doctor.reload("doctor")
    row = doctor.page.locator("#my-grants tbody tr").first
    expect(row).to_contain_text("revoked", timeout=20_000)
    row.get_by_role("button", name="Download").click()
    status = doctor.page.locator("#download-status")
    expect(status).to_contain_text("revoked this grant", timeout=30_000)
    text = status.inner_text()
    assert "{" not in text and "grant_revoked" not in text, f"raw error shown: {text}"
    doctor.shot("5-doctor-refused")
    step(f"the doctor was refused: {text!r}")

    # The patient sees both attempts, by the doctor's name, on the record's title.
    for _ in range(60):
        patient.reload("patient")
        history = patient.page.locator("#history")
        history.wait_for(timeout=20_000)
        content = history.inner_text()
        if "looked at" in content and "refused: grant revoked" in content:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"the patient's history lacks an attempt: {content}")
    assert "Dr. Maya Patel, physician, Internal Medicine, County General Hospital" in content, content
    assert "Discharge letter, cardiology ward" in content, content
    patient.shot("6-patient-history")
    step("the patient sees the access and the refused attempt, with time, staff, hospital, purpose and outcome")

    # The auditor reads the log, checks it, and downloads it as CSV.
    auditor.open("auditor")
    expect(auditor.page.locator("#audit-results")).to_contain_text("entries", timeout=30_000)
    auditor.page.fill("#filter-record", record_id)
    auditor.page.click("#audit-load")
    expect(auditor.page.locator("#audit-results tbody tr")).to_have_count(3, timeout=30_000)
    for _ in range(60):
        auditor.page.click("#check-button")
        verdict = auditor.page.locator("#check-verdict")
        verdict.wait_for(timeout=30_000)
        text = auditor.page.locator("#audit-check").inner_text()
        if "Consistent" in verdict.inner_text() and "still on their way" not in text and "also holds" in text:
            break
        time.sleep(1)
    expect(auditor.page.locator("#check-verdict")).to_contain_text("Consistent")
    expect(auditor.page.locator("#chain-count")).to_contain_text("also holds")
    with auditor.page.expect_download(timeout=30_000) as pending:
        auditor.page.click("#audit-csv")
    csv_path = work / "access-log.csv"
    pending.value.save_as(str(csv_path))
    lines = csv_path.read_text().strip().splitlines()
    assert lines[0].startswith("accessedAt,requestId,recordId") and len(lines) == 4, lines
    auditor.shot("7-auditor-consistent")
    step("the auditor sees the three entries, the check passes, and the CSV holds them")

    # Break-glass. St. Elsewhere allows its emergency physician to (a hospital's step, with the CLI).
    env = dict(os.environ, MDRS_CHAIN_RPC_URL=args.rpc, MDRS_CHAIN_CHAIN_ID=str(args.chain_id), MDRS_CHAIN_CONTRACT=args.contract)
    subprocess.run([args.mdrs, "emergency", "allow", "--key", str(Path(args.keys) / "hospital.key"), "--staff", wallets["doctor2"].address],
                   check=True, capture_output=True, text=True, env=env)
    # The patient is brought in unconscious; Dr. Lee Chen declares an emergency in the portal and
    # the record downloads for emergency treatment.
    er = Portal(browser, args, "er-doctor", wallets["doctor2"])
    er.open("doctor")
    justification = "Unconscious after a fall; the discharge letter lists his medication and allergies before surgery."
    er.page.fill("#emergency-record", record_id)
    er.page.select_option("#emergency-reason", "1")
    er.page.fill("#emergency-justification", justification)
    try:
        with er.page.expect_download(timeout=90_000) as pending:
            er.page.click("#emergency-button")
    except Exception:
        er.shot("8-er-doctor-failed")
        print(er.page.locator("#break-glass").inner_text(), er.console_errors)
        raise
    emergency_file = work / "emergency.txt"
    pending.value.save_as(str(emergency_file))
    assert emergency_file.read_bytes() == record_file.read_bytes(), "the emergency download differs"
    expect(er.page.locator("#emergency-status")).to_contain_text("Emergency declared", timeout=20_000)
    expect(er.page.locator("#verify-result")).to_contain_text("Verified", timeout=20_000)
    er.shot("8-er-doctor-broke-the-glass")
    step("the emergency physician declared an emergency on-chain and downloaded the record without a grant; the bytes match the anchor")

    # The patient sees it flagged, by name, with the reason and the justification.
    for _ in range(60):
        patient.reload("patient")
        patient.page.locator("#history").wait_for(timeout=30_000)
        flagged = patient.page.locator("#emergencies")
        if flagged.count() and justification in flagged.inner_text():
            break
        time.sleep(1)
    else:
        patient.shot("9-patient-emergency-missing")
        raise AssertionError(f"the patient's view lacks the emergency: {patient.page.locator('main').inner_text()[:3000]} {patient.console_errors}")
    text = patient.page.locator("#emergencies").inner_text()
    assert "Dr. Lee Chen, physician, Emergency Medicine, St. Elsewhere Hospital" in text, text
    assert "cannot consent" in text and "not reviewed yet" in text and "Discharge letter, cardiology ward" in text, text
    assert patient.page.locator("#history tr.emergency").count() >= 1, "the emergency's row in the history is not marked"
    expect(patient.page.locator("#history")).to_contain_text("EMERGENCY: opened without your consent")
    patient.shot("9-patient-emergency-flag")
    step("the patient sees the emergency access flagged in red, with who, the reason and the justification")

    # The auditor finds it in the queue and closes it with a signed review, recorded on-chain.
    auditor.reload("auditor")
    expect(auditor.page.locator("#emergency-count")).to_contain_text("1 emergency to review", timeout=30_000)
    queue = auditor.page.locator("#emergency-queue")
    expect(queue).to_contain_text("Dr. Lee Chen")
    expect(queue).to_contain_text(justification)
    auditor.shot("10-auditor-emergency-queue")
    queue.locator("input[aria-label='note']").fill("Justified: unconscious on arrival, medication needed before surgery.")
    queue.get_by_role("button", name="Sign the review").click()
    expect(auditor.page.locator("#notice")).to_contain_text("Review signed", timeout=30_000)
    expect(auditor.page.locator("#emergency-count")).to_contain_text("No emergency waits for review", timeout=30_000)
    for _ in range(60):
        patient.reload("patient")
        patient.page.locator("#history").wait_for(timeout=30_000)
        if "reviewed: justified" in patient.page.locator("#emergencies").inner_text():
            break
        time.sleep(1)
    else:
        raise AssertionError("the review did not reach the chain")
    auditor.reload("auditor")
    expect(auditor.page.locator("#emergency-queue")).to_contain_text("by you, on the blockchain", timeout=30_000)
    auditor.shot("11-auditor-reviewed")
    patient.shot("12-patient-emergency-reviewed")
    step("the auditor reviewed the emergency (signed, kept, on-chain); the patient sees the verdict")

    check_decoded_events(auditor.page, wallets["auditor"], args, info["contract"])

    # A grant with the largest expiry there is (anyone with a record can make one to any doctor)
    # must not break the doctor's view.
    answer = json.loads(wallets["patient"].handle(json.dumps({"method": "eth_sendTransaction", "params": [{
        "from": wallets["patient"].address, "to": info["contract"],
        "data": "0xf9bc3615" + "00" * 12 + wallets["doctor3"].address[2:].lower() + record_id[2:] + "00" * 24 + "ff" * 8}]})))
    assert "result" in answer, answer
    for _ in range(100):
        if wallets["patient"].rpc("eth_getTransactionReceipt", [answer["result"]]):
            break
        time.sleep(0.1)
    doctor.reload("doctor")
    expect(doctor.page.locator("#my-grants")).to_contain_text("far in the future", timeout=20_000)
    step("a grant with an absurd expiry shows as 'far in the future' and breaks nothing")

    for portal in (clerk, doctor, patient, auditor, er):
        foreign = {origin for origin in portal.origins if origin not in (args.gateway, args.gateway2, "blob:", "data:")}
        assert not foreign, f"{portal.name}'s page reached other origins: {foreign}"
        scripts = portal.page.evaluate("() => Array.from(document.scripts).map((s) => ({ src: s.src, inline: !s.src }))")
        assert all(not s["inline"] and s["src"].startswith(portal.base + "/portal/") for s in scripts), scripts
        # The refused download answers 403 on purpose; anything else is a fault of the page.
        errors = [e for e in portal.console_errors if not ("status of 403" in e and "/v1/access/" in e)]
        assert not errors, f"{portal.name}: console errors {errors}"
    step("no page loaded a script from another origin or made a request outside the consortium's gateways, and no page logged an error")
    return clerk, doctor, patient, work, record_id


def big_files(args, clerk, doctor, patient, wallets, work):
    """A large record through the CLI, then through the browser; the gateway's memory for each."""
    mib = args.big_mib
    big = work / "big.bin"
    with open(big, "wb") as fh:
        block = os.urandom(1 << 20)
        for index in range(mib):
            fh.write(block[index % 7:] + block[: index % 7])
    digest = hashlib.sha256()
    with open(big, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    env = dict(os.environ, MDRS_CHAIN_RPC_URL=args.rpc, MDRS_CHAIN_CHAIN_ID=str(args.chain_id), MDRS_CHAIN_CONTRACT=args.contract)
    _, hwm_before = gateway_memory(args.gateway_pid)

    # Through the CLI: put, grant, fetch.
    started = time.monotonic()
    stored = json.loads(subprocess.run(
        [args.mdrs, "put", str(big), "--gateway", args.gateway, "--key", str(Path(args.keys) / "clerk.key"),
         "--patient", wallets["patient"].address, "--content-type", "application/octet-stream", "--json"],
        check=True, capture_output=True, text=True, env=env).stdout)
    for _ in range(240):
        anchor = json.loads(urllib.request.urlopen(f"{args.gateway}/v1/records/{stored['recordId']}/anchor").read())
        if anchor["status"] == "confirmed":
            break
        time.sleep(0.5)
    token = subprocess.run(
        [args.mdrs, "grant", "--key", str(Path(args.keys) / "patient.key"), "--staff", wallets["doctor3"].address,
         "--record", stored["recordId"], "--expires-in", "3600"], check=True, capture_output=True, text=True, env=env).stdout.strip()
    subprocess.run(
        [args.mdrs, "fetch", "--key", str(Path(args.keys) / "doctor3.key"), "--token", token,
         "--out", str(work / "cli-fetched.bin")], check=True, capture_output=True, text=True, env=env)
    cli_seconds = time.monotonic() - started
    (work / "cli-fetched.bin").unlink()
    _, hwm_cli = gateway_memory(args.gateway_pid)

    # Through the browser: the clerk uploads, the patient grants, the doctor downloads.
    started = time.monotonic()
    clerk.open("clerk")
    clerk.page.set_input_files("#record-file", str(big))
    expect(clerk.page.locator("#record-sha256")).to_contain_text(sha256, timeout=300_000)
    clerk.page.fill("#record-patient", wallets["patient"].address)
    clerk.page.fill("#record-title", "CT angiography, full series")
    clerk.page.select_option("#record-type", "18748-4")
    clerk.page.click("#upload-button")
    expect(clerk.page.locator("#anchor-state")).to_contain_text("confirmed in block", timeout=600_000)
    record_id = clerk.page.locator("#stored-record").inner_text().strip()
    patient.reload("patient")
    patient.page.fill("#grant-staff", wallets["doctor3"].address)
    patient.page.fill("#grant-record", record_id)
    patient.page.click("#grant-button")
    expect(patient.page.locator("#notice")).to_contain_text("Access granted", timeout=60_000)
    doctor.reload("doctor")
    row = doctor.page.locator("#my-grants tbody tr", has_text=record_id[:8]).first
    expect(row).to_contain_text("active", timeout=20_000)
    with doctor.page.expect_download(timeout=600_000) as pending:
        row.get_by_role("button", name="Download").click()
    downloaded = work / "big-downloaded.bin"
    pending.value.save_as(str(downloaded))
    browser_seconds = time.monotonic() - started
    check = hashlib.sha256()
    with open(downloaded, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            check.update(chunk)
    assert check.hexdigest() == sha256, "the large download differs"
    doctor.page.set_input_files("#verify-file", str(downloaded))
    expect(doctor.page.locator("#verify-result")).to_contain_text("Verified", timeout=300_000)
    doctor.shot("8-doctor-large-download-verified")
    _, hwm_browser = gateway_memory(args.gateway_pid)

    step(f"{mib} MiB through the CLI: {cli_seconds:.1f} s; through the browser: {browser_seconds:.1f} s")
    step(f"gateway peak RSS: before {hwm_before / 1024:.1f} MiB, after the CLI {hwm_cli / 1024:.1f} MiB, "
         f"after the browser {hwm_browser / 1024:.1f} MiB")
    # The browser path must not make the gateway hold more than the CLI path did (the peak is a
    # high-water mark: the browser may raise it only by noise).
    assert hwm_browser - hwm_cli <= 16 * 1024, "the gateway's memory grew more for the browser than for the CLI"
    big.unlink()
    downloaded.unlink()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--rpc", required=True)
    ap.add_argument("--chain-id", type=int, required=True)
    ap.add_argument("--gateway2", required=True)
    ap.add_argument("--contract", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--gateway-pid", type=int, required=True)
    ap.add_argument("--mdrs", required=True)
    ap.add_argument("--screenshots", required=True)
    ap.add_argument("--big-mib", type=int, default=256)
    args = ap.parse_args()
    Path(args.screenshots).mkdir(parents=True, exist_ok=True)
    wallets = {name: TestWallet(read_key(args.keys, name), args.rpc, args.chain_id) for name in ("clerk", "doctor3", "doctor2", "auditor")}
    # The patient's wallet starts on Ethereum mainnet: the portal must ask it to switch.
    wallets["patient"] = TestWallet(read_key(args.keys, "patient"), args.rpc, args.chain_id, starts_on=1)
    check_page_security(args)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            clerk, doctor, patient, work, _ = story(args, browser, wallets)
            if args.big_mib > 0:
                big_files(args, clerk, doctor, patient, wallets, work)
        finally:
            browser.close()
    step("the browser story passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
