// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {CommitPacker} from "./CommitPacker.sol";
import {SettlementDeploy} from "./SettlementDeploy.sol";
import {OrderLib} from "../../contracts/libraries/OrderLib.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";

/// @dev Plays a malicious sequencer against the real contract: each commit is one fill between two
/// traders of orders they signed, honest or carrying one injected fraud (a taker price worse than
/// its limit, a price that is not the maker's limit, an overfill, a fee above the cap, a post-only
/// order that took, an IOC order that rested, a side the order did not take), with deltas that net
/// the fill exactly. An honest watcher checks every commit as it lands and proves every fraud it
/// can (`proveFillFraud` on both sides). The handler knows the ground truth of what it injected, so
/// the invariant does not rely on the rules it tests: no finalized balance may reflect an injected
/// fill. Commits are real v2 commits: the fill travels packed and the contract rebuilds its leaf
/// and checks the deltas against it. The sequencer also tries deltas that no fill justifies (a
/// trader's funds skimmed to another account on top of an honest fill): the v2 commit must refuse
/// them outright (`skim`), so they never need a watcher.
contract MaliciousSequencerHandler is Test {
    ISettlement public immutable settlement;
    TestERC20 public immutable base;
    TestERC20 public immutable quote;
    uint32 internal constant MARKET = 1;
    uint128 internal constant TICK = 10_000; // 0.01 USDC
    uint128 internal constant LOT = 1e14; // 0.0001 WETH
    address internal constant FEE_RECIPIENT = address(0xFEE);
    address[] internal _traders;

    struct Pending {
        ISettlement.Delta[] deltas;
        bool fraudulent;
    }
    mapping(uint64 batchId => Pending) internal _pending;

    mapping(address account => mapping(address token => int256)) public ghostBalance;
    uint256 public finalizedFraud;
    uint256 public injected;
    uint256 public proven;
    uint256 public finalized;
    uint256 public skimsRefused;
    uint256 public skimsAccepted;
    uint256 public skimsRefusedOtherwise; // refused, but not as SettlementDeltaNotNetted of the skim
    uint256 public badRoots; // commits whose stored root is not the leaf of the fill sent
    uint64 internal _nonce;

    constructor(ISettlement settlement_, TestERC20 base_, TestERC20 quote_, address[] memory traders_) {
        settlement = settlement_;
        base = base_;
        quote = quote_;
        _traders = traders_;
        for (uint256 i; i < traders_.length; ++i) {
            ghostBalance[traders_[i]][address(base_)] = int256(
                settlement_.balanceOf(traders_[i], address(base_))
            );
            ghostBalance[traders_[i]][address(quote_)] = int256(
                settlement_.balanceOf(traders_[i], address(quote_))
            );
        }
    }

    /// @dev The malicious sequencer commits one fill (honest, or with fraud `kind` < 7), and the
    /// watcher at once proves whatever it can.
    function commit(uint256 seed) external {
        uint256 makerIndex = seed % _traders.length;
        uint256 takerIndex = (makerIndex + 1 + ((seed >> 8) % (_traders.length - 1))) % _traders.length;
        uint8 kind = uint8(seed >> 16) % 14; // byte 2: 0..6 a fraud, 7..13 honest
        uint8 takerSide = uint8((seed >> 24) % 2);
        uint128 price = TICK * uint128(190_000 + ((seed >> 32) % 20_000));
        uint128 baseAmount = LOT * uint128(1 + ((seed >> 64) % 1_000));
        if (kind == 2 && baseAmount == LOT) baseAmount = 2 * LOT; // room to overfill

        OrderLib.Order memory maker = _order(_traders[makerIndex], 1 - takerSide, price, baseAmount);
        OrderLib.Order memory taker = _order(_traders[takerIndex], takerSide, price, baseAmount);
        // The taker's limit leaves room for an improvement the maker must not get.
        taker.price = takerSide == OrderLib.SIDE_BUY ? price + 10 * TICK : price - 10 * TICK;

        ISettlement.Fill memory fill;
        fill.batchId = settlement.nextBatchId();
        fill.maker = maker.trader;
        fill.taker = taker.trader;
        fill.marketId = MARKET;
        fill.takerSide = takerSide;
        fill.price = price;
        fill.baseAmount = baseAmount;
        fill.makerFilledAfter = baseAmount;
        fill.takerFilledAfter = baseAmount;

        if (kind == 0) fill.price = takerSide == OrderLib.SIDE_BUY ? taker.price + TICK : taker.price - TICK;
        else if (kind == 1) fill.price = takerSide == OrderLib.SIDE_BUY ? price + TICK : price - TICK;
        else if (kind == 2)
            taker.amount = baseAmount - LOT; // filled beyond what it signed
        else if (kind == 4) taker.flags = OrderLib.FLAG_POST_ONLY;
        else if (kind == 5) maker.flags = OrderLib.FLAG_IOC;
        else if (kind == 6) maker.side = takerSide; // the maker "sold" what it signed to buy
        if (kind == 0 || kind == 1) maker.price = kind == 0 ? fill.price : price; // maker signs its limit

        fill.quoteAmount = uint128((uint256(fill.baseAmount) * fill.price) / 1e18);
        fill.makerFee = (fill.quoteAmount * maker.maxFeeBps) / 10_000;
        fill.takerFee = (fill.quoteAmount * taker.maxFeeBps) / 10_000;
        if (kind == 3) fill.takerFee += 1;
        fill.makerOrderHash = settlement.hashOrder(maker);
        fill.takerOrderHash = settlement.hashOrder(taker);

        bool fraudulent = kind < 7;
        // The packed record, its deltas (netting the fill exactly) and its one-leaf tree, whose
        // root is the leaf and whose proof is empty; `fill` becomes the leaf the contract rebuilds.
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](1);
        fills[0] = fill;
        CommitPacker.Commit memory c = CommitPacker.build(settlement, fill.batchId, fills);
        vm.prank(address(this), address(this)); // the sequencer, top-level
        try settlement.commitBatch(c.batchId, c.fills, c.deltas) {} catch {
            return; // e.g. the pending cap: the sequencer waits
        }
        if (settlement.batch(c.batchId).fillsRoot != CommitPacker.leaf(fill)) ++badRoots;
        Pending storage p = _pending[c.batchId];
        for (uint256 i; i < c.deltas.length; ++i) p.deltas.push(c.deltas[i]);
        p.fraudulent = fraudulent;
        if (fraudulent) ++injected;

        // The honest watcher: both sides, against the orders the traders signed.
        bytes32[] memory proof = new bytes32[](0);
        for (uint256 side; side < 2; ++side) {
            try settlement.proveFillFraud(fill, proof, side == 0 ? maker : taker, side == 0) {
                ++proven;
                break;
            } catch {}
        }
    }

    /// @dev The malicious sequencer commits an honest fill with deltas that also move `amount` of a
    /// token from one trader to another (balanced, sorted: only the fills can tell). The commit
    /// must revert SettlementDeltaNotNetted at the first of the two deltas (or, once the pending
    /// cap is reached, SettlementTooManyPending). Nothing is recorded either way, so an accepted
    /// skim would also show in the balances invariant.
    function skim(uint256 seed, uint256 amount) external {
        uint256 makerIndex = seed % _traders.length;
        uint256 takerIndex = (makerIndex + 1 + ((seed >> 8) % (_traders.length - 1))) % _traders.length;
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](1);
        fills[0].makerOrderHash = keccak256(abi.encode("maker", seed));
        fills[0].takerOrderHash = keccak256(abi.encode("taker", seed));
        (fills[0].maker, fills[0].taker, fills[0].marketId) = (
            _traders[makerIndex],
            _traders[takerIndex],
            MARKET
        );
        fills[0].takerSide = uint8((seed >> 16) % 2);
        fills[0].price = TICK * uint128(190_000 + ((seed >> 32) % 20_000));
        fills[0].baseAmount = LOT * uint128(1 + ((seed >> 64) % 1_000));
        (fills[0].makerFilledAfter, fills[0].takerFilledAfter) = (fills[0].baseAmount, fills[0].baseAmount);
        CommitPacker.Commit memory c = CommitPacker.build(settlement, settlement.nextBatchId(), fills);

        // From the taker to the maker (or the fee recipient), in the token chosen: both pairs are
        // in the commit already, so the deltas stay sorted and balanced.
        address token = (seed >> 80) % 2 == 0 ? address(base) : address(quote);
        address to = token == address(quote) && (seed >> 88) % 2 == 0 ? FEE_RECIPIENT : fills[0].maker;
        uint256 from = CommitPacker.indexOf(c.deltas, fills[0].taker, token);
        uint256 dst = CommitPacker.indexOf(c.deltas, to, token);
        int256 moved = int256(1 + (amount % 1e30));
        c.deltas[from].delta -= moved;
        c.deltas[dst].delta += moved;

        vm.prank(address(this), address(this));
        try settlement.commitBatch(c.batchId, c.fills, c.deltas) {
            ++skimsAccepted;
        } catch (bytes memory reason) {
            uint256 first = from < dst ? from : dst;
            if (
                keccak256(reason) ==
                keccak256(abi.encodeWithSelector(ISettlement.SettlementDeltaNotNetted.selector, first))
            ) {
                ++skimsRefused;
            } else if (bytes4(reason) != ISettlement.SettlementTooManyPending.selector) {
                ++skimsRefusedOtherwise;
            }
        }
    }

    /// @dev Anyone finalizes the next batch once its window passed; the model follows.
    function finalize() external {
        uint64 id = settlement.nextFinalizeId();
        if (id == settlement.nextBatchId()) return;
        vm.warp(settlement.batch(id).finalizableAt);
        Pending storage p = _pending[id];
        ISettlement.Delta[] memory deltas = p.deltas;
        try settlement.finalizeBatch(id, deltas) returns (bool applied) {
            if (!applied) return;
            ++finalized;
            if (p.fraudulent) ++finalizedFraud;
            for (uint256 i; i < deltas.length; ++i)
                ghostBalance[deltas[i].account][deltas[i].token] += deltas[i].delta;
        } catch {}
    }

    function traders() external view returns (address[] memory) {
        return _traders;
    }

    function _order(
        address trader,
        uint256 side,
        uint128 price,
        uint128 amount
    ) internal returns (OrderLib.Order memory o) {
        o.trader = trader;
        o.marketId = MARKET;
        o.side = uint8(side);
        o.price = price;
        o.amount = amount;
        o.nonce = ++_nonce;
        o.expiry = type(uint64).max;
        o.maxFeeBps = 30;
    }
}

contract SettlementWatcherInvariantTest is StdInvariant, Test {
    ISettlement internal settlement;
    TestERC20 internal base;
    TestERC20 internal quote;
    MaliciousSequencerHandler internal handler;

    function setUp() public {
        base = new TestERC20("Wrapped Ether", "WETH", 18);
        quote = new TestERC20("USD Coin", "USDC", 6);
        settlement = SettlementDeploy.proxy(
            SettlementDeploy.params(address(this), address(0xFEE), 0.1 ether)
        );
        settlement.setTokenAllowed(address(base), true);
        settlement.setTokenAllowed(address(quote), true);
        settlement.registerMarket(1, address(base), address(quote), 10_000, 1e14);

        address[] memory traders = new address[](4);
        for (uint256 i; i < traders.length; ++i) {
            traders[i] = vm.addr(0xB0B + i);
            base.mint(traders[i], 1_000e18);
            quote.mint(traders[i], 10_000_000e6);
            vm.startPrank(traders[i]);
            base.approve(address(settlement), type(uint256).max);
            quote.approve(address(settlement), type(uint256).max);
            settlement.deposit(address(base), 1_000e18);
            settlement.deposit(address(quote), 10_000_000e6);
            vm.stopPrank();
        }
        handler = new MaliciousSequencerHandler(settlement, base, quote, traders);
        settlement.setRoles(address(handler), address(this), address(this));

        bytes4[] memory selectors = new bytes4[](4);
        selectors[0] = MaliciousSequencerHandler.commit.selector;
        selectors[1] = MaliciousSequencerHandler.commit.selector; // twice: commits outnumber finalizations
        selectors[2] = MaliciousSequencerHandler.finalize.selector;
        selectors[3] = MaliciousSequencerHandler.skim.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev No balance ever reflects a fill its trader did not sign as filled: the watcher proved
    /// every injected fraud before its window closed, so none finalized.
    function invariant_noInjectedFraudEverFinalizes() public view {
        assertEq(handler.finalizedFraud(), 0, "a fraudulent fill finalized");
    }

    /// @dev Every balance is deposits plus the finalized (honest) fills, and the vault covers them.
    function invariant_balancesAreDepositsPlusHonestFills() public view {
        address[] memory traders = handler.traders();
        address[2] memory tokens = [address(base), address(quote)];
        for (uint256 t; t < 2; ++t) {
            uint256 sum = settlement.balanceOf(address(0xFEE), tokens[t]);
            assertEq(int256(sum), handler.ghostBalance(address(0xFEE), tokens[t]), "fee recipient");
            for (uint256 a; a < traders.length; ++a) {
                uint256 balance = settlement.balanceOf(traders[a], tokens[t]);
                assertEq(int256(balance), handler.ghostBalance(traders[a], tokens[t]), "balance");
                sum += balance;
            }
            assertGe(TestERC20(tokens[t]).balanceOf(address(settlement)), sum, "vault short");
        }
    }

    /// @dev Deltas that no fill justifies never get committed: the contract refuses them itself.
    function invariant_noUnjustifiedDeltaIsCommitted() public view {
        assertEq(handler.skimsAccepted(), 0, "a commit with deltas no fill justifies was accepted");
        assertEq(
            handler.skimsRefusedOtherwise(),
            0,
            "a skim was refused, but not as SettlementDeltaNotNetted"
        );
        assertEq(handler.badRoots(), 0, "a commit stored another root than its fill's leaf");
    }

    /// @dev Whatever a run injected, the watcher proved (runs may be too short to inject any).
    function afterInvariant() public view {
        assertEq(handler.proven(), handler.injected(), "an injected fraud was not proven");
    }

    /// @dev Each fraud kind the handler injects is proven, and honest fills finalize.
    function test_watcherProvesEveryInjectedKind() public {
        for (uint256 kind; kind < 7; ++kind) {
            // maker 0, taker 1, taker buys, a mid price, 5 lots
            uint256 seed = (uint256(5) << 64) | (uint256(1_000) << 32) | (kind << 16);
            handler.commit(seed);
            assertEq(handler.injected(), kind + 1, "not injected");
            assertEq(handler.proven(), kind + 1, "not proven");
        }
        handler.commit(uint256(13) << 16); // honest
        handler.finalize();
        assertEq(handler.finalized(), 1);
        assertEq(handler.finalizedFraud(), 0);
        // Skims of either token, to the maker or to the fee recipient, are refused.
        for (uint256 s; s < 4; ++s) handler.skim(((s & 1) << 80) | ((s >> 1) << 88) | (3 << 64) | 1, 1 + s);
        assertEq(handler.skimsRefused(), 4, "skim not refused");
        assertEq(handler.skimsAccepted(), 0);
        invariant_balancesAreDepositsPlusHonestFills();
    }
}
