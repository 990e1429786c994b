"""The log index behind eth_getLogs, and eth_getLogs' filter: block range, addresses, topics."""

from __future__ import annotations

import bisect

from .encoding import parse_address, parse_hash, parse_quantity
from .errors import RpcError, invalid_params


class LogIndex:
    """All logs in chain order, with posting lists by address and by topic.

    A query picks the most selective constraint (address set, or the OR-set of
    one topic position), gathers its postings inside the block range with
    bisect, and checks the remaining constraints on those candidates only.
    """

    def __init__(self):
        self.logs = []  # (address bytes, topics tuple of bytes, json dict)
        self.block_start = []  # block number -> id of its first log
        self.by_address = {}
        self.by_topic = {}  # (position, topic) -> [ids]

    def add_block(self, number: int, entries):
        assert number == len(self.block_start)
        self.block_start.append(len(self.logs))
        for address, topics, obj in entries:
            i = len(self.logs)
            self.logs.append((address, topics, obj))
            self.by_address.setdefault(address, []).append(i)
            for pos, topic in enumerate(topics):
                self.by_topic.setdefault((pos, topic), []).append(i)

    def truncate(self, number: int):
        """Forgets the logs of block `number` and every later one (a reorganisation)."""
        if number >= len(self.block_start):
            return
        cut = self.block_start[number]
        del self.block_start[number:]
        del self.logs[cut:]
        for index in (self.by_address, self.by_topic):
            for key in list(index):
                lst = index[key]
                del lst[bisect.bisect_left(lst, cut):]
                if not lst:
                    del index[key]

    def _range(self, first_block, last_block):
        lo = self.block_start[first_block]
        hi = self.block_start[last_block + 1] if last_block + 1 < len(self.block_start) else len(self.logs)
        return lo, hi

    @staticmethod
    def _postings(lists, lo, hi):
        out = []
        for lst in lists:
            a = bisect.bisect_left(lst, lo)
            b = bisect.bisect_left(lst, hi)
            out.append((b - a, lst, a, b))
        return out

    def query(self, first_block, last_block, addresses, topics):
        if first_block > last_block or first_block >= len(self.block_start):
            return []
        last_block = min(last_block, len(self.block_start) - 1)
        lo, hi = self._range(first_block, last_block)
        if lo >= hi:
            return []
        # candidate constraints: (count, [(count, list, a, b)...])
        options = []
        if addresses is not None:
            posts = self._postings([self.by_address.get(a, []) for a in addresses], lo, hi)
            options.append((sum(p[0] for p in posts), posts))
        for pos, alts in enumerate(topics):
            if alts is None:
                continue
            posts = self._postings([self.by_topic.get((pos, t), []) for t in alts], lo, hi)
            options.append((sum(p[0] for p in posts), posts))
        if options:
            _, posts = min(options, key=lambda o: o[0])
            ids = set()
            for _, lst, a, b in posts:
                ids.update(lst[a:b])
            candidates = sorted(ids)
        else:
            candidates = range(lo, hi)
        result = []
        for i in candidates:
            address, log_topics, obj = self.logs[i]
            if addresses is not None and address not in addresses:
                continue
            ok = True
            for pos, alts in enumerate(topics):
                if alts is None:
                    continue
                if pos >= len(log_topics) or log_topics[pos] not in alts:
                    ok = False
                    break
            if ok:
                result.append(obj)
        return result


def get_logs(chain, f):
    """eth_getLogs: the logs of `chain` (a DevChain) that match the filter object `f`."""
    if not isinstance(f, dict):
        raise invalid_params("filter object expected")
    if f.get("blockHash") is not None:
        if f.get("fromBlock") is not None or f.get("toBlock") is not None:
            raise invalid_params("cannot specify both blockHash and fromBlock/toBlock")
        bh = parse_hash(f["blockHash"], "blockHash")
        number = chain.block_by_hash.get(bh)
        if number is None:
            raise RpcError(-32000, "unknown block")
        first = last = number
    else:
        first = _log_block(chain, f.get("fromBlock"))
        last = _log_block(chain, f.get("toBlock"))
        if first > chain.visible_head:
            return []  # polling "from the next block on" before it exists
        last = min(last, chain.visible_head)
        if first > last:
            raise RpcError(-32000, "invalid block range params")
    addresses = f.get("address")
    if addresses is None:
        address_set = None
    elif isinstance(addresses, str):
        address_set = {parse_address(addresses)}
    elif isinstance(addresses, list):
        address_set = {parse_address(a) for a in addresses} or None
    else:
        raise invalid_params("address must be an address or a list of addresses")
    topics_in = f.get("topics") or []
    if not isinstance(topics_in, list) or len(topics_in) > 4:
        raise invalid_params("topics must be a list of at most 4 entries")
    topics = []
    for t in topics_in:
        if t is None:
            topics.append(None)
        elif isinstance(t, str):
            topics.append({parse_hash(t, "topic")})
        elif isinstance(t, list):
            if any(x is None for x in t) or not t:
                topics.append(None)  # a null in an OR-list matches anything
            else:
                topics.append({parse_hash(x, "topic") for x in t})
        else:
            raise invalid_params("a topic must be null, a hash or a list of hashes")
    return chain.logs.query(first, last, address_set, topics)


def _log_block(chain, tag):
    if tag is None or tag in ("latest", "pending", "safe", "finalized"):
        return chain.visible_head
    if tag == "earliest":
        return 0
    n = parse_quantity(tag, "block number")
    return min(n, chain.visible_head + 1)  # beyond the head: empty
