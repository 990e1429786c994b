"""JSON-RPC views of what a block holds: the block, its transactions and receipts, its logs."""

from __future__ import annotations

import rlp
from eth._utils.address import generate_contract_address

from .encoding import addr_json, h, q


def render_block(block, included):
    """A mined py-evm block and its transactions [(PoolTx, receipt, computation)] as the node
    serves them: (block JSON without "transactions", [tx hash], [(address, topics, log JSON)]
    for the log index, {tx hash: (transaction JSON, receipt JSON)})."""
    header = block.header
    number = header.block_number
    bhash = header.hash
    base_fee = getattr(header, "base_fee_per_gas", None)
    tx_hashes = []
    mined = {}
    log_entries = []
    prev_cumulative = 0
    log_index = 0
    for index, (ptx, receipt, computation) in enumerate(included):
        tx = ptx.tx
        tx_hashes.append(tx.hash)
        gas_used = receipt.gas_used - prev_cumulative
        prev_cumulative = receipt.gas_used
        effective = tx.gas_price if (tx.type_id or 0) < 2 else min(
            tx.max_fee_per_gas, (base_fee or 0) + tx.max_priority_fee_per_gas)
        logs_json = []
        for entry in receipt.logs:
            topics = tuple(t.to_bytes(32, "big") for t in entry.topics)
            obj = {
                "address": addr_json(entry.address),
                "topics": [h(t) for t in topics],
                "data": h(entry.data),
                "blockNumber": q(number),
                "blockHash": h(bhash),
                "transactionHash": h(tx.hash),
                "transactionIndex": q(index),
                "logIndex": q(log_index),
                "removed": False,
            }
            log_index += 1
            logs_json.append(obj)
            log_entries.append((bytes(entry.address), topics, obj))
        is_create = tx.to == b""
        tx_json = transaction_json(tx, ptx.sender, bhash, number, index, base_fee)
        receipt_json = {
            "transactionHash": h(tx.hash),
            "transactionIndex": q(index),
            "blockHash": h(bhash),
            "blockNumber": q(number),
            "from": addr_json(ptx.sender),
            "to": None if is_create else addr_json(tx.to),
            "cumulativeGasUsed": q(receipt.gas_used),
            "gasUsed": q(gas_used),
            "effectiveGasPrice": q(effective),
            "contractAddress": addr_json(generate_contract_address(ptx.sender, tx.nonce)) if is_create else None,
            "logs": logs_json,
            "logsBloom": h(receipt.bloom.to_bytes(256, "big")),
            "type": q(tx.type_id or 0),
            "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
        }
        mined[tx.hash] = (tx_json, receipt_json)

    bj = {
        "number": q(number),
        "hash": h(bhash),
        "parentHash": h(header.parent_hash),
        "nonce": h(header.nonce),
        "mixHash": h(header.mix_hash),
        "sha3Uncles": h(header.uncles_hash),
        "logsBloom": h(header.bloom.to_bytes(256, "big")),
        "transactionsRoot": h(header.transaction_root),
        "stateRoot": h(header.state_root),
        "receiptsRoot": h(header.receipt_root),
        "miner": addr_json(header.coinbase),
        "difficulty": q(header.difficulty),
        "totalDifficulty": "0x0",
        "extraData": h(header.extra_data),
        "size": q(len(rlp.encode(block))),
        "gasLimit": q(header.gas_limit),
        "gasUsed": q(header.gas_used),
        "timestamp": q(header.timestamp),
        "uncles": [],
    }
    if base_fee is not None:
        bj["baseFeePerGas"] = q(base_fee)
    for attr, key, conv in (
        ("withdrawals_root", "withdrawalsRoot", h),
        ("blob_gas_used", "blobGasUsed", q),
        ("excess_blob_gas", "excessBlobGas", q),
        ("parent_beacon_block_root", "parentBeaconBlockRoot", h),
        ("requests_hash", "requestsHash", h),
    ):
        value = getattr(header, attr, None)
        if value is not None:
            bj[key] = conv(value)
    if hasattr(header, "withdrawals_root"):
        bj["withdrawals"] = []
    return bj, tx_hashes, log_entries, mined


def transaction_json(tx, sender, block_hash, number, index, base_fee):
    """A transaction as eth_getTransactionByHash returns it (block fields None while pending)."""
    type_id = tx.type_id or 0
    obj = {
        "hash": h(tx.hash),
        "type": q(type_id),
        "nonce": q(tx.nonce),
        "blockHash": h(block_hash) if block_hash is not None else None,
        "blockNumber": q(number) if number is not None else None,
        "transactionIndex": q(index) if index is not None else None,
        "from": addr_json(sender),
        "to": None if tx.to == b"" else addr_json(tx.to),
        "value": q(tx.value),
        "gas": q(tx.gas),
        "input": h(tx.data),
        "r": q(tx.r),
        "s": q(tx.s),
    }
    if type_id == 0:
        obj["gasPrice"] = q(tx.gas_price)
        obj["v"] = q(tx.v)
        if tx.v not in (27, 28):
            obj["chainId"] = q(tx.chain_id)
    else:
        obj["chainId"] = q(tx.chain_id)
        obj["v"] = q(tx.y_parity)
        obj["yParity"] = q(tx.y_parity)
        obj["accessList"] = [
            {"address": addr_json(a), "storageKeys": [h(k.to_bytes(32, "big")) for k in keys_]}
            for a, keys_ in tx.access_list
        ]
        if type_id == 1:
            obj["gasPrice"] = q(tx.gas_price)
        else:
            obj["maxFeePerGas"] = q(tx.max_fee_per_gas)
            obj["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas)
            if number is not None:
                obj["gasPrice"] = q(min(tx.max_fee_per_gas, (base_fee or 0) + tx.max_priority_fee_per_gas))
            else:
                obj["gasPrice"] = q(tx.max_fee_per_gas)
    return obj
