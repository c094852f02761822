// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {OrderLib} from "../../contracts/libraries/OrderLib.sol";
import {CommitPacker} from "./CommitPacker.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";
import {FeeOnTransferERC20} from "../../contracts/test/FeeOnTransferERC20.sol";

/// @dev Drives a Settlement proxy through random deposits, withdrawals, batch commits (real packed
/// fills among a fixed set of traders, committed with the deltas they net to, some of which
/// overdraw), finalizations, and rollbacks (conflicting-fill proofs, unanswered challenges, upheld
/// disputes), while keeping a plain model of every vault balance.
/// It holds the sequencer and arbiter roles. Invariant runs ignore reverts (failOnRevert false), so
/// the handler never asserts: it records what it saw go wrong in `violations`, which an invariant
/// checks.
contract SettlementHandler is Test {
    ISettlement public immutable settlement;
    TestERC20 public immutable base;
    TestERC20 public immutable quote;
    FeeOnTransferERC20 public immutable feeToken;
    uint32 public immutable marketId;
    uint128 public immutable lot;
    uint128 public immutable tick;

    /// @dev Every account that can ever hold a balance (traders and the fee recipient), ascending.
    address[] internal _accounts;
    /// @dev The market's two tokens, ascending (delta sort order).
    address[2] internal _tokens;
    mapping(address account => uint256 key) internal _keyOf;

    // ---- the model: what each balance must be, and what could have raised it
    mapping(address account => mapping(address token => uint256)) public ghostBalance;
    mapping(address account => mapping(address token => uint256)) public ghostDeposited;
    mapping(address account => mapping(address token => uint256)) public ghostCredited;

    // ---- what each committed batch was made of
    mapping(uint64 batchId => ISettlement.Delta[]) internal _deltas;
    mapping(uint64 batchId => ISettlement.Fill) internal _firstFill;
    mapping(uint64 batchId => ISettlement.Fill) internal _secondFill;
    mapping(uint64 batchId => bytes32[]) internal _leafHashes;
    mapping(uint64 batchId => bool) internal _challenged;
    mapping(uint64 batchId => OrderLib.Order) internal _makerOrder;
    mapping(uint64 batchId => bool) internal _conflicting;
    uint64 public lastFinalized;

    string[] public violations;

    // ---- how often each path ran (to show the handler reaches them all)
    mapping(bytes32 path => uint256) public calls;

    constructor(
        ISettlement settlement_,
        TestERC20 base_,
        TestERC20 quote_,
        FeeOnTransferERC20 feeToken_,
        uint32 marketId_,
        uint256[] memory traderKeys,
        address feeRecipient
    ) {
        settlement = settlement_;
        (base, quote, feeToken, marketId) = (base_, quote_, feeToken_, marketId_);
        ISettlement.Market memory m = settlement_.market(marketId_);
        (lot, tick) = (m.lotSize, m.tickSize);
        _tokens =
            address(base_) < address(quote_)
                ? [address(base_), address(quote_)]
                : [address(quote_), address(base_)];
        for (uint256 i; i < traderKeys.length; ++i) {
            address trader = vm.addr(traderKeys[i]);
            _keyOf[trader] = traderKeys[i];
            _accounts.push(trader);
        }
        _accounts.push(feeRecipient);
        _sortAccounts();
    }

    receive() external payable {} // dispute bonds come back here

    modifier step() {
        vm.roll(block.number + 1); // one action per block, as on a live chain
        _;
    }

    // ------------------------------------------------------------ vault

    function deposit(uint256 traderSeed, bool inBase, uint256 amount) external step {
        address trader = _trader(traderSeed);
        TestERC20 token = inBase ? base : quote;
        amount = bound(amount, 1, 1e27);
        token.mint(trader, amount);
        vm.startPrank(trader);
        token.approve(address(settlement), amount);
        settlement.deposit(address(token), amount);
        vm.stopPrank();
        ghostBalance[trader][address(token)] += amount;
        ghostDeposited[trader][address(token)] += amount;
        ++calls["deposit"];
    }

    /// @dev A token that delivers less than the amount must be refused, and credit nothing.
    function depositFeeOnTransfer(uint256 traderSeed, uint256 amount) external step {
        address trader = _trader(traderSeed);
        amount = bound(amount, 10_000, 1e27); // large enough that the fee is at least one atom
        feeToken.mint(trader, amount);
        vm.startPrank(trader);
        feeToken.approve(address(settlement), amount);
        try settlement.deposit(address(feeToken), amount) {
            _violation("fee-on-transfer deposit accepted");
        } catch (bytes memory reason) {
            if (bytes4(reason) != ISettlement.SettlementDeflationaryToken.selector) {
                _violation("fee-on-transfer deposit refused with the wrong error");
            }
        }
        vm.stopPrank();
        ++calls["depositFeeOnTransfer"];
    }

    function requestWithdrawal(uint256 traderSeed, bool inBase, uint256 amount) external step {
        address trader = _trader(traderSeed);
        address token = inBase ? address(base) : address(quote);
        // Sometimes more than the balance: withdraw must then pay only what is there.
        amount = bound(amount, 1, ghostBalance[trader][token] * 2 + 1);
        vm.prank(trader);
        settlement.requestWithdrawal(token, amount);
        ++calls["requestWithdrawal"];
    }

    function withdraw(uint256 traderSeed, bool inBase) external step {
        address trader = _trader(traderSeed);
        address token = inBase ? address(base) : address(quote);
        ISettlement.WithdrawalRequest memory request = settlement.withdrawalRequest(trader, token);
        if (request.amount == 0) return;
        if (block.timestamp < request.executableAt) vm.warp(request.executableAt);

        uint256 expected = _min(request.amount, ghostBalance[trader][token]);
        uint256 walletBefore = IERC20(token).balanceOf(trader);
        vm.prank(trader);
        uint256 paid = settlement.withdraw(token);
        if (paid != expected) _violation("withdraw paid other than min(request, balance)");
        if (IERC20(token).balanceOf(trader) - walletBefore != paid) _violation("withdraw transfer mismatch");
        ghostBalance[trader][token] -= paid;
        ++calls["withdraw"];
    }

    // ------------------------------------------------------------ batches

    /// @dev Commits a batch of real fills: first two fills of one maker order (one lot each; the
    /// second claims the lot after the first, or, if `conflicting`, the same lot again, which anyone
    /// can prove), then `transfers` random fills between the traders (random sides, sizes, prices
    /// and fees). Its deltas are what the fills net to (balanced by construction, sorted, as the
    /// contract requires). Prudent batches size each random fill within a share of its payers'
    /// finalized balances; reckless ones (and any batch resting on pending debits) may overdraw,
    /// which must roll back at finalization.
    function commitBatch(uint256 seed, uint8 transfers, bool reckless, bool conflicting) external step {
        uint64 batchId = settlement.nextBatchId();
        (ISettlement.Fill[] memory fills, OrderLib.Order memory order) = _fillsOf(
            batchId,
            seed,
            bound(transfers, 1, 6),
            reckless,
            conflicting
        );
        CommitPacker.Commit memory c = CommitPacker.build(settlement, batchId, fills);
        CommitPacker.commit(settlement, address(this), c);
        if (settlement.batch(batchId).fillsRoot != c.root) _violation("stored root is not the fills' root");

        for (uint256 i; i < c.deltas.length; ++i) _deltas[batchId].push(c.deltas[i]);
        _leafHashes[batchId] = c.leafHashes;
        _firstFill[batchId] = fills[0];
        _secondFill[batchId] = fills[1];
        _makerOrder[batchId] = order;
        _conflicting[batchId] = conflicting;
        ++calls["commitBatch"];
    }

    /// @dev Finalizes the oldest pending batch after its window. The model decides independently
    /// whether it fits every balance; the contract must agree.
    function finalizeBatch() external step {
        uint64 batchId = settlement.nextFinalizeId();
        if (batchId == settlement.nextBatchId()) return;
        ISettlement.Batch memory b = settlement.batch(batchId);
        if (b.openChallenges != 0 || b.openDisputes != 0) return;
        if (block.timestamp < b.finalizableAt) vm.warp(b.finalizableAt);

        ISettlement.Delta[] memory deltas = _deltas[batchId];
        bool fits = _fits(deltas);
        bool finalized = settlement.finalizeBatch(batchId, deltas);
        if (finalized != fits) _violation("finalize disagrees with the model on whether deltas fit");
        if (finalized) {
            if (batchId <= lastFinalized) _violation("batch finalized out of order");
            lastFinalized = batchId;
            _applyToModel(deltas);
            ++calls["finalized"];
        } else {
            _checkRolledBackFrom(batchId, batchId);
            ++calls["rolledBack:negativeBalance"];
        }
    }

    /// @dev Proves two fills of a pending batch conflicting. Must roll it (and every later batch)
    /// back if they overlap, and must be refused if they do not.
    function proveConflictingFills(uint256 batchSeed) external step {
        (bool found, uint64 batchId) = _pending(batchSeed);
        if (!found) return;
        ISettlement.Fill[2] memory fills = [_firstFill[batchId], _secondFill[batchId]];
        bytes32[] memory proofA = CommitPacker.proof(_leafHashes[batchId], 0);
        bytes32[] memory proofB = CommitPacker.proof(_leafHashes[batchId], 1);
        if (_conflicting[batchId]) {
            uint64 oldest = settlement.nextFinalizeId();
            settlement.proveConflictingFills(fills[0], proofA, true, fills[1], proofB, true);
            _checkRolledBackFrom(batchId, oldest);
            ++calls["rolledBack:conflictingFills"];
        } else {
            try settlement.proveConflictingFills(fills[0], proofA, true, fills[1], proofB, true) {
                _violation("disjoint fills proven conflicting");
            } catch (bytes memory reason) {
                if (bytes4(reason) != ISettlement.SettlementNoFraud.selector) {
                    _violation("disjoint fills refused with the wrong error");
                }
            }
            ++calls["refused:noConflict"];
        }
    }

    /// @dev The maker challenges the first fill of a pending batch; the sequencer answers with the
    /// signed order, or lets the deadline pass and the challenge is upheld (rollback).
    function challengeFill(uint256 batchSeed, bool answer) external step {
        (bool found, uint64 batchId) = _pending(batchSeed);
        if (!found) return;
        ISettlement.Fill memory fill = _firstFill[batchId];
        // One challenge per order and batch; it must come inside the window.
        if (_challenged[batchId] || block.timestamp >= settlement.batch(batchId).finalizableAt) return;
        _challenged[batchId] = true;

        vm.prank(fill.maker);
        uint256 challengeId = settlement.challengeFill(fill, CommitPacker.proof(_leafHashes[batchId], 0));
        if (answer) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(_keyOf[fill.maker], fill.makerOrderHash);
            settlement.answerChallenge(challengeId, _makerOrder[batchId], abi.encodePacked(r, s, v));
            if (settlement.batch(batchId).status != ISettlement.BatchStatus.Pending) {
                _violation("answered challenge changed the batch");
            }
            ++calls["challengeAnswered"];
        } else {
            vm.warp(settlement.challenge(challengeId).deadline);
            uint64 oldest = settlement.nextFinalizeId();
            settlement.upholdChallenge(challengeId);
            _checkRolledBackFrom(batchId, oldest);
            ++calls["rolledBack:challengeUnanswered"];
        }
    }

    /// @dev A bonded dispute about a pending batch, decided at once by the arbiter (this handler).
    function dispute(uint256 batchSeed, bool uphold) external step {
        (bool found, uint64 batchId) = _pending(batchSeed);
        if (!found) return;
        if (block.timestamp >= settlement.batch(batchId).finalizableAt) return;
        (, , , , uint128 bond) = settlement.parameters();
        vm.deal(address(this), bond);
        uint256 disputeId = settlement.openDispute{value: bond}(
            batchId,
            keccak256("deltas do not match fills")
        );
        uint64 oldest = settlement.nextFinalizeId();
        settlement.resolveDispute(disputeId, uphold);
        if (uphold) {
            _checkRolledBackFrom(batchId, oldest);
            ++calls["rolledBack:disputeUpheld"];
        } else {
            if (settlement.batch(batchId).status != ISettlement.BatchStatus.Pending) {
                _violation("dismissed dispute changed the batch");
            }
            ++calls["disputeDismissed"];
        }
    }

    function warp(uint256 seconds_) external step {
        vm.warp(block.timestamp + bound(seconds_, 1, 3 hours));
        ++calls["warp"];
    }

    // ------------------------------------------------------------ views for the invariants

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    function violationCount() external view returns (uint256) {
        return violations.length;
    }

    // ------------------------------------------------------------ internals

    function _trader(uint256 seed) internal view returns (address) {
        // The last account is the fee recipient, which only batches credit.
        address[] memory traders = _traders();
        return traders[seed % traders.length];
    }

    function _traders() internal view returns (address[] memory traders) {
        traders = new address[](_accounts.length - 1);
        uint256 n;
        for (uint256 i; i < _accounts.length; ++i) {
            if (_keyOf[_accounts[i]] != 0) traders[n++] = _accounts[i];
        }
    }

    /// @dev The batch's fills: two fills of the maker's sell order (one lot each, at one price), the
    /// second claiming the lot after the first or (conflicting) the same lot again; then `extra`
    /// random fills, each sized (unless reckless) within 1/(extra + 2) of what its buyer holds in
    /// quote and its seller in base, as finalized; reckless ones up to twice that plus one lot.
    function _fillsOf(
        uint64 batchId,
        uint256 seed,
        uint256 extra,
        bool reckless,
        bool conflicting
    ) internal view returns (ISettlement.Fill[] memory fills, OrderLib.Order memory order) {
        address[] memory traders = _traders();
        address maker = traders[seed % traders.length];
        address taker = traders[(seed / traders.length + 1) % traders.length];
        if (taker == maker) taker = traders[((seed % traders.length) + 1) % traders.length];
        uint128 price = tick * uint128(1 + (seed % 1_000));
        order = OrderLib.Order({
            trader: maker,
            marketId: marketId,
            side: OrderLib.SIDE_SELL,
            price: price,
            amount: 10 * lot,
            nonce: batchId,
            expiry: type(uint64).max,
            maxFeeBps: 30,
            flags: 0
        });
        fills = new ISettlement.Fill[](2 + extra);
        bytes32 makerOrderHash = settlement.hashOrder(order);
        for (uint32 i; i < 2; ++i) {
            fills[i] = ISettlement.Fill({
                batchId: batchId,
                index: i,
                makerOrderHash: makerOrderHash,
                takerOrderHash: keccak256(abi.encode("taker", batchId, i)),
                maker: maker,
                taker: taker,
                marketId: marketId,
                takerSide: OrderLib.SIDE_BUY,
                price: price,
                baseAmount: lot,
                quoteAmount: 0, // set by CommitPacker, as the contract computes it
                makerFee: 0,
                takerFee: 0,
                makerFilledAfter: (conflicting ? 1 : i + 1) * lot,
                takerFilledAfter: lot,
                takerFok: false,
                fokRunEnd: false
            });
        }
        for (uint256 j; j < extra; ++j) fills[2 + j] = _randomFill(seed, j, traders, extra + 2, reckless);
    }

    /// @dev A random fill between two distinct traders, each on its own fresh order.
    function _randomFill(
        uint256 seed,
        uint256 j,
        address[] memory traders,
        uint256 share,
        bool reckless
    ) internal view returns (ISettlement.Fill memory f) {
        uint256 r = uint256(keccak256(abi.encode(seed, j)));
        uint256 a = r % traders.length;
        f.maker = traders[a];
        f.taker = traders[(a + 1 + ((r >> 32) % (traders.length - 1))) % traders.length]; // not the maker
        f.marketId = marketId;
        f.takerSide = uint8((r >> 64) % 2);
        f.makerOrderHash = keccak256(abi.encode("maker", seed, j));
        f.takerOrderHash = keccak256(abi.encode("taker", seed, j));
        uint256 ticks = 1 + ((r >> 72) % 1_000);
        (address buyer, address seller) = f.takerSide == OrderLib.SIDE_BUY
            ? (f.taker, f.maker)
            : (f.maker, f.taker);
        // A lot costs lot·tick·ticks/10^decimals quote atoms, plus at most 0.3% in fees.
        uint256 lotCost = (uint256(lot) * tick * ticks) / 10 ** base.decimals();
        uint256 cap = ghostBalance[seller][address(base)] / lot;
        uint256 affordable = (ghostBalance[buyer][address(quote)] * 10_000) / (lotCost * 10_030 + 1);
        if (affordable < cap) cap = affordable;
        cap = reckless ? cap * 2 + 1 : cap / share;
        if (cap == 0) cap = 1; // a fill moves at least one lot (it may overdraw an empty account)
        if (cap > type(uint32).max) cap = type(uint32).max;
        f.price = uint128(ticks * tick);
        f.baseAmount = uint128((1 + ((r >> 128) % cap)) * lot);
        uint256 quoteAmount = (uint256(f.baseAmount) * f.price) / 10 ** base.decimals();
        f.makerFee = uint128((quoteAmount * ((r >> 96) % 31)) / 10_000); // up to 30 bps a side
        f.takerFee = uint128((quoteAmount * ((r >> 104) % 31)) / 10_000);
        f.makerFilledAfter = f.baseAmount;
        f.takerFilledAfter = f.baseAmount;
    }

    /// @dev A pending batch chosen by `seed`, if any (rolled-back ranges may sit between them).
    function _pending(uint256 seed) internal view returns (bool, uint64) {
        uint64 first = settlement.nextFinalizeId();
        uint64 end = settlement.nextBatchId();
        if (first == end) return (false, 0);
        uint64 id = first + uint64(seed % (end - first));
        while (settlement.batch(id).status != ISettlement.BatchStatus.Pending)
            id = id == first ? end - 1 : id - 1;
        return (true, id);
    }

    /// @dev Whether every delta fits the model's balances (each pair appears once in a batch).
    function _fits(ISettlement.Delta[] memory deltas) internal view returns (bool) {
        for (uint256 i; i < deltas.length; ++i) {
            int256 d = deltas[i].delta;
            if (d < 0 && uint256(-d) > ghostBalance[deltas[i].account][deltas[i].token]) return false;
        }
        return true;
    }

    function _applyToModel(ISettlement.Delta[] memory deltas) internal {
        for (uint256 i; i < deltas.length; ++i) {
            ISettlement.Delta memory d = deltas[i];
            if (d.delta > 0) {
                ghostBalance[d.account][d.token] += uint256(d.delta);
                ghostCredited[d.account][d.token] += uint256(d.delta);
            } else {
                ghostBalance[d.account][d.token] -= uint256(-d.delta);
            }
        }
    }

    /// @dev After a rollback of `batchId`: it and every later batch are rolled back; earlier pending
    /// batches stay pending, and finalization resumes past the range only if none is left before it.
    function _checkRolledBackFrom(uint64 batchId, uint64 oldestPending) internal {
        uint64 end = settlement.nextBatchId();
        for (uint64 id = batchId; id < end; ++id) {
            if (settlement.batch(id).status != ISettlement.BatchStatus.RolledBack) {
                _violation("rollback did not cascade to every later batch");
            }
        }
        for (uint64 id = oldestPending; id < batchId; ++id) {
            ISettlement.BatchStatus status = settlement.batch(id).status;
            if (status != ISettlement.BatchStatus.Pending && status != ISettlement.BatchStatus.RolledBack) {
                _violation("rollback touched an earlier batch");
            }
        }
        if (settlement.nextFinalizeId() != (batchId == oldestPending ? end : oldestPending)) {
            _violation("rollback moved nextFinalizeId wrongly");
        }
    }

    function _violation(string memory what) internal {
        violations.push(what);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _sortAccounts() internal {
        for (uint256 i = 1; i < _accounts.length; ++i) {
            address a = _accounts[i];
            uint256 j = i;
            while (j > 0 && _accounts[j - 1] > a) {
                _accounts[j] = _accounts[j - 1];
                --j;
            }
            _accounts[j] = a;
        }
    }
}
