// The person's own wallet, through EIP-1193 (`window.ethereum`): accounts, the chain, EIP-712
// signatures, transactions and chain reads all go through it. The page never sees a key.

import { decodeLog, decodeResult, encodeCall } from "./abi.js";

export class WalletError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export class Wallet {
  constructor(provider, info) {
    this.provider = provider;
    this.info = info;
    this.account = null;
  }

  /** The injected provider, or null if the browser has no wallet. */
  static provider() {
    return typeof window !== "undefined" && window.ethereum ? window.ethereum : null;
  }

  async request(method, params = []) {
    try {
      return await this.provider.request({ method, params });
    } catch (error) {
      if (error && error.code === 4001) throw new WalletError("You declined the request in your wallet.", "rejected");
      throw new WalletError((error && error.message) || String(error), error && error.code);
    }
  }

  /** Asks for the account and brings the wallet onto the gateway's chain. Another account or
   * chain later reloads the page: nothing read or shown for the old one may stay. */
  async connect() {
    if (this.provider.on && !this.listening) {
      this.listening = true;
      this.provider.on("chainChanged", () => location.reload());
      this.provider.on("accountsChanged", () => location.reload());
    }
    const accounts = await this.request("eth_requestAccounts");
    if (!accounts || accounts.length === 0) throw new WalletError("The wallet offered no account.", "no_account");
    this.account = accounts[0].toLowerCase();
    const want = "0x" + BigInt(this.info.chainId).toString(16);
    const have = await this.request("eth_chainId");
    if (BigInt(have) !== BigInt(want)) {
      try {
        await this.request("wallet_switchEthereumChain", [{ chainId: want }]);
      } catch (error) {
        if (error.code === 4902 && this.info.wallet && this.info.wallet.rpcUrl) {
          await this.request("wallet_addEthereumChain", [{
            chainId: want, chainName: this.info.wallet.chainName || "MDRS consortium",
            rpcUrls: [this.info.wallet.rpcUrl], nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          }]);
        } else {
          throw new WalletError(`Switch your wallet to chain ${BigInt(want)} (the gateway's chain) and try again.`, "wrong_chain");
        }
      }
      const now = await this.request("eth_chainId");
      if (BigInt(now) !== BigInt(want)) {
        throw new WalletError(`Your wallet is on chain ${BigInt(now)}; this gateway works on chain ${BigInt(want)}.`, "wrong_chain");
      }
    }
    return this.account;
  }

  /** An EIP-712 signature (`eth_signTypedData_v4`) of `typedData` by the account. */
  async signTypedData(typedData) {
    return this.request("eth_signTypedData_v4", [this.account, JSON.stringify(typedData)]);
  }

  /** Throws unless the wallet is (still) on the gateway's chain. */
  async ensureChain() {
    const have = await this.request("eth_chainId");
    if (BigInt(have) !== BigInt(this.info.chainId)) {
      throw new WalletError(`Your wallet is on chain ${BigInt(have)}; this gateway works on chain ${BigInt(this.info.chainId)}.`, "wrong_chain");
    }
  }

  /**
   * Sends a contract call as a transaction and waits for its receipt; succeeds only if the
   * receipt carries `expectedEvent` from the contract (a transaction to an address without the
   * contract would "succeed" and do nothing).
   */
  async transact(name, args, expectedEvent) {
    await this.ensureChain();
    const hash = await this.request("eth_sendTransaction", [{ from: this.account, to: this.info.contract, data: encodeCall(name, args) }]);
    for (let attempt = 0; attempt < 600; attempt++) {
      const receipt = await this.request("eth_getTransactionReceipt", [hash]);
      if (receipt) {
        if (BigInt(receipt.status) !== 1n) throw new WalletError("The chain refused the transaction.", "reverted");
        const events = receipt.logs.filter((log) => sameAddress(log.address, this.info.contract)).map(decodeLog).filter(Boolean);
        if (expectedEvent && !events.some((event) => event.name === expectedEvent)) {
          throw new WalletError("The transaction went through but did not reach the consortium's contract; nothing changed.", "no_effect");
        }
        return { hash, receipt, events };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new WalletError("The transaction was not mined within 2.5 minutes.", "timeout");
  }

  /** A view of the contract, decoded. */
  async view(name, args) {
    await this.ensureChain();
    const data = await this.request("eth_call", [{ from: this.account, to: this.info.contract, data: encodeCall(name, args) }, "latest"]);
    return decodeResult(name, data);
  }

  /** The contract's events matching `topics` (null = any), decoded, oldest first. */
  async events(topics) {
    await this.ensureChain();
    const logs = await this.request("eth_getLogs", [{
      address: this.info.contract, fromBlock: "0x" + BigInt(this.info.fromBlock || 0).toString(16), toBlock: "latest", topics,
    }]);
    // One malformed event (anyone can emit odd values) must not hide the others.
    const decoded = [];
    for (const log of logs) {
      try {
        const event = decodeLog(log);
        if (event) decoded.push(event);
      } catch (_) {
        this.skipped = (this.skipped || 0) + 1;
      }
    }
    return decoded;
  }
}

export function sameAddress(a, b) {
  return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}
