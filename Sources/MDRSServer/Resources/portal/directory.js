// Who is who in the consortium, from the contract's events: hospitals by name, and which
// hospital had registered a staff member at a given block.

import { topics } from "./abi.js";

export async function readDirectory(wallet) {
  const [custodians, staff] = await Promise.all([
    wallet.events([topics.CustodianRegistered]),
    wallet.events([[topics.StaffRegistered, topics.StaffDeregistered]]),
  ]);
  const names = new Map(custodians.map((e) => [e.custodian.toLowerCase(), e.hospital]));
  return {
    hospitalName(custodian) {
      return names.get(String(custodian).toLowerCase()) || String(custodian);
    },
    /** The custodian that had registered `address` at `block` (or now), or null. */
    custodianOf(address, block = Infinity) {
      let current = null;
      for (const event of staff) {
        if (event.block > block) break;
        if (event.staff.toLowerCase() !== String(address).toLowerCase()) continue;
        current = event.name === "StaffRegistered" ? event.custodian : null;
      }
      return current;
    },
    /** The hospital that had registered `address` at `block` (or now), or null. */
    hospitalOf(address, block = Infinity) {
      const current = this.custodianOf(address, block);
      return current ? this.hospitalName(current) : null;
    },
    /** Every custodian that ever registered, by address. */
    custodians() {
      return Array.from(names.keys());
    },
  };
}
