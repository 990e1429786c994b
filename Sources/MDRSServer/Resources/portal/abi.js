// The few calls and events of the MedicalAccess contract the portal needs, encoded and decoded
// by hand (Solidity ABI). Selectors and topics are constants: a browser test checks each one,
// and every encoding here, against the compiled contract's ABI and eth-abi.

export const selectors = {
  requestAccess: "0xfccd07ea", // requestAccess(bytes32,uint8)
  grant: "0xf9bc3615", // grant(address,bytes32,uint64)
  revoke: "0xb75c7dc6", // revoke(bytes32)
  getRecord: "0x213681cd", // getRecord(bytes32)
  getGrant: "0xe483ac04", // getGrant(bytes32)
  getCustodian: "0xcb5aa7e9", // getCustodian(address)
  getStaff: "0xddd79504", // getStaff(address)
  declareEmergency: "0x05fdc625", // declareEmergency(bytes32,uint8,bytes32)
  getEmergency: "0x76fe9075", // getEmergency(bytes32)
  mayDeclareEmergency: "0x28af627c", // mayDeclareEmergency(address)
};

export const topics = {
  CustodianRegistered: "0x90b319119f127f96bc754edb4fdba9bfdbd13a5a6d437d80f257c90991e7db4a",
  StaffRegistered: "0x17110647c1797b627b3ece5dac70a71f75191cdd78ce3c68105ad383741ddaec",
  StaffDeregistered: "0x20237d9dbfc350c5f3126e09b78de5dbb9a1422c2378677df83dcff9efe2facc",
  RecordAnchored: "0xd2f4aef4481d4269e3b6bba9b2d90b5b6b8ab88b2c87fdeee5aec0c47e715ddc",
  AccessRequested: "0x53f321110344834dc3405814bbcbfe43f5605d36c32d33fe960bb3ae48ebdcca",
  Granted: "0xba51bceed3296ec83fbe42ca107232c5157804cdb3ff558dab357b0a8011db28",
  Revoked: "0x41255a52cf87eef471b972aa1ab728693bdd0417fc0fa73261de237d4bdf140f",
  Accessed: "0x72e9e2b1b04475a4a79b12f976605203750b77eba8c4819f28e85f980b76ede7",
  EmergencyDeclared: "0xf1b0588c3603feebf6c351243f567b8577186dd87148f659bc06b9b4a7524ef5",
  EmergencyRefused: "0xf04aaff589661dfc296cdca99896cb5884b2e46364349416c7b3b0a3b0f5de5b",
  EmergencyReviewed: "0xd1eb6388b506658bf83aff683ace37837cecc321adb1f6e85a0ccc64c98f0911",
};

const HEX = /^0x[0-9a-fA-F]*$/;

function strip(hex) {
  if (typeof hex !== "string" || !HEX.test(hex)) throw new Error(`not hex: ${hex}`);
  return hex.slice(2).toLowerCase();
}

/** A 32-byte word of an address (left-padded), e.g. an indexed topic. */
export function addressWord(address) {
  const body = strip(address);
  if (body.length !== 40) throw new Error(`not an address: ${address}`);
  return "0x" + body.padStart(64, "0");
}

function bytes32Word(value) {
  const body = strip(value);
  if (body.length !== 64) throw new Error(`not 32 bytes: ${value}`);
  return body;
}

function uintWord(value) {
  const number = BigInt(value);
  if (number < 0n || number >= 1n << 256n) throw new Error(`out of range: ${value}`);
  return number.toString(16).padStart(64, "0");
}

/** Call data: the selector and the arguments, each one static word. */
export function encodeCall(name, args) {
  switch (name) {
    case "requestAccess": return selectors.requestAccess + bytes32Word(args.recordId) + uintWord(args.purpose);
    case "grant": return selectors.grant + addressWord(args.staff).slice(2) + bytes32Word(args.recordId) + uintWord(args.expiresAt);
    case "revoke": return selectors.revoke + bytes32Word(args.token);
    case "getRecord": return selectors.getRecord + bytes32Word(args.recordId);
    case "getGrant": return selectors.getGrant + bytes32Word(args.token);
    case "getCustodian": return selectors.getCustodian + addressWord(args.custodian).slice(2);
    case "getStaff": return selectors.getStaff + addressWord(args.staff).slice(2);
    case "declareEmergency":
      return selectors.declareEmergency + bytes32Word(args.recordId) + uintWord(args.reason) + bytes32Word(args.justification);
    case "getEmergency": return selectors.getEmergency + bytes32Word(args.emergency);
    case "mayDeclareEmergency": return selectors.mayDeclareEmergency + addressWord(args.staff).slice(2);
    default: throw new Error(`no encoding for ${name}`);
  }
}

/** Reads ABI data as 32-byte words. */
class Words {
  constructor(hex) {
    this.body = strip(hex);
    if (this.body.length % 64 !== 0) throw new Error("ABI data is not whole words");
  }
  word(index) {
    const word = this.body.slice(index * 64, index * 64 + 64);
    if (word.length !== 64) throw new Error("ABI data too short");
    return word;
  }
  bytes32(index) { return "0x" + this.word(index); }
  uint(index) { return BigInt("0x" + this.word(index)); }
  number(index) {
    const value = this.uint(index);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("number too large");
    return Number(value);
  }
  /** A uint64 that anyone may set (an expiry): clamped to what a Number holds exactly. */
  clampedNumber(index) {
    const value = this.uint(index);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }
  address(index) {
    const word = this.word(index);
    if (!/^0{24}/.test(word)) throw new Error("not an address word");
    return "0x" + word.slice(24);
  }
  bool(index) { return this.uint(index) === 1n; }
  /** A `bytes` value whose offset (in bytes from `base` words) is at word `index`. */
  dynamicBytes(index, base = 0) {
    const offset = this.number(index);
    if (offset % 32 !== 0) throw new Error("misaligned offset");
    const start = base + offset / 32;
    const length = this.number(start);
    const hex = this.body.slice((start + 1) * 64, (start + 1) * 64 + length * 2);
    if (hex.length !== length * 2) throw new Error("ABI data too short");
    return "0x" + hex;
  }
  string(index, base = 0) {
    const hex = this.dynamicBytes(index, base).slice(2);
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return new TextDecoder().decode(bytes);
  }
}

/** Decodes what a view returned. */
export function decodeResult(name, hex) {
  const w = new Words(hex);
  switch (name) {
    case "getRecord": {
      // A struct with a dynamic member: an offset to the tuple, then the tuple.
      const base = w.number(0) / 32;
      return {
        patient: w.address(base), custodian: w.address(base + 1), contentHash: w.bytes32(base + 2),
        encryptedAddress: w.dynamicBytes(base + 3, base), anchoredAt: w.number(base + 4),
      };
    }
    case "getGrant":
      return {
        patient: w.address(0), staff: w.address(1), recordId: w.bytes32(2), custodian: w.address(3), expiresAt: w.clampedNumber(4),
        staffCustodian: w.address(5), staffEpoch: w.number(6), revoked: w.bool(7), grantedAt: w.number(8), updatedAt: w.number(9),
      };
    case "getCustodian": {
      const base = w.number(0) / 32;
      return {
        name: w.string(base, base), active: w.bool(base + 1), registeredAt: w.number(base + 2), gateway: w.string(base + 3, base),
        directory: w.bytes32(base + 4),
      };
    }
    case "getStaff":
      return { custodian: w.address(0), epoch: w.number(1), registeredAt: w.number(2) };
    case "getEmergency":
      // A struct of static members only: inline, no offset.
      return {
        staff: w.address(0), patient: w.address(1), recordId: w.bytes32(2), custodian: w.address(3), staffCustodian: w.address(4),
        staffEpoch: w.number(5), reason: w.number(6), justification: w.bytes32(7), declaredAt: w.number(8), expiresAt: w.clampedNumber(9),
        verdict: w.number(10), reviewer: w.address(11), reviewNote: w.bytes32(12),
      };
    case "mayDeclareEmergency":
      return w.bool(0);
    default: throw new Error(`no decoding for ${name}`);
  }
}

/** Decodes a log of the contract into {name, ...fields, block, tx}; null for other events. */
export function decodeLog(log) {
  const t = log.topics || [];
  const w = new Words(log.data || "0x");
  const common = { block: Number(BigInt(log.blockNumber)), tx: log.transactionHash, logIndex: Number(BigInt(log.logIndex)) };
  const topicAddress = (i) => "0x" + strip(t[i]).slice(24);
  switch (t[0]) {
    case topics.CustodianRegistered:
      return { name: "CustodianRegistered", custodian: topicAddress(1), hospital: w.string(0), ...common };
    case topics.StaffRegistered:
      return { name: "StaffRegistered", staff: topicAddress(1), custodian: topicAddress(2), epoch: w.number(0), ...common };
    case topics.StaffDeregistered:
      return { name: "StaffDeregistered", staff: topicAddress(1), custodian: topicAddress(2), ...common };
    case topics.RecordAnchored:
      return {
        name: "RecordAnchored", recordId: t[1], patient: topicAddress(2), custodian: topicAddress(3), contentHash: w.bytes32(0),
        encryptedAddress: w.dynamicBytes(1), ...common,
      };
    case topics.AccessRequested:
      return { name: "AccessRequested", recordId: t[1], staff: topicAddress(2), patient: topicAddress(3), purpose: w.number(0), ...common };
    case topics.Granted:
      return {
        name: "Granted", token: t[1], staff: topicAddress(2), patient: topicAddress(3), recordId: w.bytes32(0), expiresAt: w.clampedNumber(1),
        staffCustodian: w.address(2), staffEpoch: w.number(3), ...common,
      };
    case topics.Revoked:
      return { name: "Revoked", token: t[1], staff: topicAddress(2), patient: topicAddress(3), recordId: w.bytes32(0), ...common };
    case topics.Accessed:
      return {
        name: "Accessed", recordId: t[1], staff: topicAddress(2), patient: topicAddress(3), custodian: w.address(0), sequence: w.number(1),
        token: w.bytes32(2), requestId: w.bytes32(3), purpose: w.number(4), outcome: w.number(5), accessedAt: w.clampedNumber(6),
        commitment: w.bytes32(7), ...common,
      };
    case topics.EmergencyDeclared:
      return {
        name: "EmergencyDeclared", emergency: t[1], staff: topicAddress(2), patient: topicAddress(3), recordId: w.bytes32(0),
        custodian: w.address(1), reason: w.number(2), justification: w.bytes32(3), expiresAt: w.clampedNumber(4), ...common,
      };
    case topics.EmergencyRefused:
      return { name: "EmergencyRefused", staff: topicAddress(1), patient: topicAddress(2), recordId: t[3], why: w.number(0), ...common };
    case topics.EmergencyReviewed:
      return {
        name: "EmergencyReviewed", emergency: t[1], custodian: topicAddress(2), reviewer: topicAddress(3), verdict: w.number(0),
        note: w.bytes32(1), ...common,
      };
    default:
      return null;
  }
}

/** base64url without padding (the gateway's encrypted-address form) of 0x-hex bytes. */
export function base64url(hex) {
  const body = strip(hex);
  let binary = "";
  for (let i = 0; i < body.length; i += 2) binary += String.fromCharCode(parseInt(body.slice(i, i + 2), 16));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
