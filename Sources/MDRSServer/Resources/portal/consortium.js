// The consortium's gateways as their hospitals published them on-chain: where a record held by
// another hospital is read from, directly (its bytes never pass through this gateway).

import { GatewayError, readRemoteInfo } from "./gateway.js";
import { sameAddress } from "./wallet.js";

const known = new Map();

/**
 * The gateway of `custodian`: `{ base, info, name }`, where `base` is "" for this portal's own
 * gateway and the published origin for another's, and `info` is that gateway's `/v1/info`,
 * checked to be the custodian's, on this chain and contract (a gateway that says otherwise is
 * not trusted with a signature).
 */
export async function gatewayOf(wallet, info, custodian) {
  const key = String(custodian).toLowerCase();
  if (sameAddress(custodian, info.custodian)) return { base: "", info, name: null };
  if (!known.has(key)) known.set(key, lookUp(wallet, info, custodian).catch((error) => { known.delete(key); throw error; }));
  return known.get(key);
}

async function lookUp(wallet, info, custodian) {
  const hospital = await wallet.view("getCustodian", { custodian });
  const name = hospital.name || custodian;
  if (!hospital.active) throw new GatewayError(0, "custodian_inactive", `${name} is no longer in the consortium.`);
  let url;
  try {
    url = new URL(hospital.gateway);
  } catch (_) {
    throw new GatewayError(0, "no_gateway", `${name} has not published its gateway on the blockchain, so its records cannot be reached from here.`);
  }
  const base = url.origin + url.pathname.replace(/\/+$/, "");
  let remote;
  try {
    remote = await readRemoteInfo(base);
  } catch (error) {
    if (error.code && !String(error.code).startsWith("http_")) throw error;
    throw new GatewayError(0, "unreachable", `${name}'s gateway (${base}) cannot be reached right now. Try again later.`);
  }
  if (!sameAddress(remote.custodian, custodian) || String(remote.chainId) !== String(info.chainId) || !sameAddress(remote.contract, info.contract)) {
    throw new GatewayError(0, "wrong_gateway", `The gateway ${name} published (${base}) is not ${name}'s on this consortium; nothing was signed for it.`);
  }
  return { base, info: remote, name };
}
