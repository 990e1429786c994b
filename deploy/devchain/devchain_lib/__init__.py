"""The MDRS dev chain's modules; deploy/devchain/devchain.py is the program.

    ecdsa        libsecp256k1 for eth-keys (installed on import, before py-evm is imported)
    errors       RpcError
    encoding     JSON-RPC quantities and data, parameter parsing
    log_index    the log index and eth_getLogs' filter
    pool         the transaction pool and its admission rules (go-ethereum's messages)
    blocks       JSON of blocks, transactions, receipts and logs
    calls        eth_call / eth_estimateGas
    chain        DevChain: py-evm, pool, mining, records
    rpc_methods  Api: dispatch and the eth_ / net_ / web3_ methods
    rpc_dev      the dev_ / evm_ / miner_ methods
    server       JSON-RPC over HTTP: batches, error objects, the request handler
    timers       interval mining and empty blocks
"""

from . import ecdsa  # noqa: F401  (first: it must patch eth-keys before py-evm is imported)
