// People by name: each hospital's staff directory, read from its own gateway and accepted only
// if its bytes hash to the SHA-256 the hospital published on-chain, and only for the staff that
// hospital registered. A person reads "Dr. Ana Silva, physician, Cardiology, St. Elsewhere
// Hospital"; the address stays one click away.

import { gatewayOf } from "./consortium.js";
import { SHA256, toHex } from "./sha256.js";
import { el, short } from "./ui.js";
import { sameAddress } from "./wallet.js";

const roleWords = {
  physician: "physician", nurse: "nurse", pharmacist: "pharmacist", technician: "technician", auditor: "auditor",
  records_clerk: "records clerk", other: "staff",
};

/** The directory of `custodian`, checked, as a Map from lower-case address to member; empty if none is published or it does not check. */
async function directoryOf(wallet, info, custodian) {
  const hospital = await wallet.view("getCustodian", { custodian });
  if (!hospital.directory || /^0x0+$/.test(hospital.directory)) return new Map();
  const { base } = await gatewayOf(wallet, info, custodian);
  const response = await fetch(base + "/v1/staff", { cache: "no-store" });
  if (!response.ok) return new Map();
  const bytes = new Uint8Array(await response.arrayBuffer());
  const hasher = new SHA256();
  hasher.update(bytes);
  if (toHex(hasher.digest()) !== hospital.directory.toLowerCase()) return new Map();
  const document = JSON.parse(new TextDecoder().decode(bytes));
  if (!sameAddress(document.custodian, custodian)) return new Map();
  return new Map((document.staff || []).map((member) => [String(member.address).toLowerCase(), member]));
}

/**
 * A namer for the consortium's staff: `name(address, block)` is the person's display text (or
 * null), `cell(address, block)` a table cell with the name and, one click away, the address.
 * `directory` is readDirectory()'s (who registered whom).
 */
export async function readPeople(wallet, info, directory) {
  const directories = new Map();
  await Promise.all(directory.custodians().map(async (custodian) => {
    try {
      directories.set(custodian.toLowerCase(), await directoryOf(wallet, info, custodian));
    } catch (_) {
      // A hospital whose gateway cannot be reached now: its staff show by address.
      directories.set(custodian.toLowerCase(), new Map());
    }
  }));
  function name(address, block = Infinity) {
    const custodian = directory.custodianOf(address, block);
    if (!custodian) return null;
    const member = directories.get(custodian.toLowerCase())?.get(String(address).toLowerCase());
    const hospital = directory.hospitalName(custodian);
    if (!member) return null;
    return [member.name, roleWords[member.role] || "staff", member.department, hospital].filter(Boolean).join(", ");
  }
  return {
    name,
    cell(address, block = Infinity) {
      const text = name(address, block);
      return el("details", { class: "person" },
        el("summary", {}, text || short(address)),
        el("span", { class: "mono" }, address));
    },
  };
}
