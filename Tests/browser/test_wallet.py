"""A test wallet for the portal: an EIP-1193 provider injected into the page whose every call
lands here, in Python, where a real key signs (eth-account, the same rules as any wallet) and
real transactions go to the dev chain. Nothing of the gateway or the chain is mocked."""

import json
import threading
import urllib.request

from eth_account import Account

# Injected before any page script runs: `window.ethereum` forwards to the exposed binding.
PROVIDER_JS = """
(() => {
  const listeners = {};
  window.ethereum = {
    isMDRSTestWallet: true,
    async request({ method, params }) {
      const answer = JSON.parse(await window.__mdrsWallet(JSON.stringify({ method, params: params || [] })));
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    },
    on(event, handler) { (listeners[event] = listeners[event] || []).push(handler); },
    removeListener(event, handler) { listeners[event] = (listeners[event] || []).filter((h) => h !== handler); },
  };
})();
"""


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class TestWallet:
    def __init__(self, private_key: str, rpc_url: str, chain_id: int, starts_on: int | None = None):
        self.account = Account.from_key(private_key)
        self.rpc_url = rpc_url
        self.chain_id = chain_id
        # The chain the wallet is on: a wallet may start on another (mainnet, say) and must
        # be asked to switch.
        self.current_chain = starts_on or chain_id
        self.lock = threading.Lock()
        self.calls = []  # method names, for the test to check what the page asked

    @property
    def address(self) -> str:
        return self.account.address

    def rpc(self, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.rpc_url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RpcError(answer["error"].get("code", -32000), answer["error"].get("message", "error"))
        return answer["result"]

    def handle(self, payload: str) -> str:
        call = json.loads(payload)
        method, params = call["method"], call.get("params") or []
        self.calls.append(method)
        try:
            return json.dumps({"result": self.dispatch(method, params)})
        except RpcError as error:
            return json.dumps({"error": {"code": error.code, "message": str(error)}})
        except Exception as error:  # a wallet answers every failure as an error object
            return json.dumps({"error": {"code": -32603, "message": f"{type(error).__name__}: {error}"}})

    def dispatch(self, method, params):
        if method in ("eth_requestAccounts", "eth_accounts"):
            return [self.address]
        if method == "eth_chainId":
            return hex(self.current_chain)
        if method == "wallet_switchEthereumChain":
            if int(params[0]["chainId"], 16) != self.chain_id:
                raise RpcError(4902, "unrecognised chain")
            self.current_chain = self.chain_id
            return None
        if self.current_chain != self.chain_id and method in ("eth_signTypedData_v4", "eth_sendTransaction"):
            raise RpcError(4901, "the wallet is on another chain")
        if method == "eth_signTypedData_v4":
            if params[0].lower() != self.address.lower():
                raise RpcError(4100, "not this wallet's account")
            signed = Account.sign_typed_data(self.account.key, full_message=json.loads(params[1]))
            return "0x" + signed.signature.hex().removeprefix("0x")
        if method == "eth_sendTransaction":
            return self.send_transaction(params[0])
        if method in ("eth_sign", "personal_sign", "eth_signTransaction"):
            raise RpcError(4200, f"{method} is not offered")
        return self.rpc(method, params)

    def send_transaction(self, tx):
        if tx.get("from", "").lower() != self.address.lower():
            raise RpcError(4100, "not this wallet's account")
        with self.lock:  # one nonce at a time
            nonce = int(self.rpc("eth_getTransactionCount", [self.address, "pending"]), 16)
            call = {"from": self.address, "to": tx["to"], "data": tx.get("data", "0x"), "value": tx.get("value", "0x0")}
            estimate = int(self.rpc("eth_estimateGas", [call]), 16)
            # py-evm's estimate under Prague can fall below the calldata floor: leave room.
            gas = estimate * 3 // 2 + 30_000
            latest = self.rpc("eth_getBlockByNumber", ["latest", False])
            fields = {"to": tx["to"], "data": tx.get("data", "0x"), "value": int(tx.get("value", "0x0"), 16), "gas": gas,
                      "nonce": nonce, "chainId": self.chain_id}
            if latest.get("baseFeePerGas") is not None:
                tip = int(self.rpc("eth_maxPriorityFeePerGas", []), 16)
                fields.update(maxFeePerGas=int(latest["baseFeePerGas"], 16) * 2 + tip, maxPriorityFeePerGas=tip, type=2)
            else:
                fields["gasPrice"] = int(self.rpc("eth_gasPrice", []), 16)
            signed = Account.sign_transaction(fields, self.account.key)
            raw = signed.raw_transaction if hasattr(signed, "raw_transaction") else signed.rawTransaction
            return self.rpc("eth_sendRawTransaction", ["0x" + raw.hex().removeprefix("0x")])
