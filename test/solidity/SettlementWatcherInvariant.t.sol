// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {SettlementDeploy} from "./SettlementDeploy.sol";
import {FillLib} from "../../contracts/libraries/FillLib.sol";
import {OrderLib} from "../../contracts/libraries/OrderLib.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";

/// @dev Plays a malicious sequencer against the real contract: each commit is one fill between two
/// traders of orders they signed, honest or carrying one injected fraud (a taker price worse than
/// its limit, a price that is not the maker's limit, an overfill, a fee above the cap, a post-only
/// order that took, an IOC order that rested, a side the order did not take), with deltas that net
/// the fill exactly. An honest watcher checks every commit as it lands and proves every fraud it
/// can (`proveFillFraud` on both sides). The handler knows the ground truth of what it injected, so
/// the invariant does not rely on the rules it tests: no finalized balance may reflect an injected
/// fill. (Deltas that match no fill at all are not played: until the v2 commit binds deltas to
/// fills, only a dispute stops them; docs/protocol.md, section 3.)
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
    uint64 internal _nonce;

    constructor(ISettlement settlement_, TestERC20 base_, TestERC20 quote_, address[] memory traders) {
        settlement = settlement_;
        base = base_;
        quote = quote_;
        _traders = traders;
        for (uint256 i; i < traders.length; ++i) {
            ghostBalance[traders[i]][address(base_)] = int256(
                settlement_.balanceOf(traders[i], address(base_))
            );
            ghostBalance[traders[i]][address(quote_)] = int256(
                settlement_.balanceOf(traders[i], address(quote_))
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
        ISettlement.Delta[] memory deltas = _deltasOf(fill);
        bytes32 root = FillLib.leaf(fill); // a one-leaf tree: the root is the leaf, the proof empty
        uint64 batchId = fill.batchId;
        try settlement.commitBatch(batchId, root, deltas, 1) {} catch {
            return; // e.g. the pending cap: the sequencer waits
        }
        Pending storage p = _pending[batchId];
        for (uint256 i; i < deltas.length; ++i) p.deltas.push(deltas[i]);
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

    /// @dev The fill's exact net effect, sorted by (account, token) and without zeros.
    function _deltasOf(ISettlement.Fill memory f) internal view returns (ISettlement.Delta[] memory out) {
        (address buyer, address seller) = f.takerSide == OrderLib.SIDE_BUY
            ? (f.taker, f.maker)
            : (f.maker, f.taker);
        (uint256 buyerFee, uint256 sellerFee) = f.takerSide == OrderLib.SIDE_BUY
            ? (f.takerFee, f.makerFee)
            : (f.makerFee, f.takerFee);
        ISettlement.Delta[5] memory raw = [
            ISettlement.Delta(buyer, address(base), int256(uint256(f.baseAmount))),
            ISettlement.Delta(buyer, address(quote), -int256(uint256(f.quoteAmount) + buyerFee)),
            ISettlement.Delta(seller, address(base), -int256(uint256(f.baseAmount))),
            ISettlement.Delta(seller, address(quote), int256(uint256(f.quoteAmount) - sellerFee)),
            ISettlement.Delta(FEE_RECIPIENT, address(quote), int256(buyerFee + sellerFee))
        ];
        // Insertion sort of the five by (account, token), dropping zeros.
        ISettlement.Delta[] memory sorted = new ISettlement.Delta[](5);
        uint256 n;
        for (uint256 i; i < 5; ++i) {
            if (raw[i].delta == 0) continue;
            uint256 j = n++;
            while (j > 0 && _less(raw[i], sorted[j - 1])) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            sorted[j] = raw[i];
        }
        out = new ISettlement.Delta[](n);
        for (uint256 i; i < n; ++i) out[i] = sorted[i];
    }

    function _less(ISettlement.Delta memory a, ISettlement.Delta memory b) internal pure returns (bool) {
        return a.account < b.account || (a.account == b.account && a.token < b.token);
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

        bytes4[] memory selectors = new bytes4[](3);
        selectors[0] = MaliciousSequencerHandler.commit.selector;
        selectors[1] = MaliciousSequencerHandler.commit.selector; // twice: commits outnumber finalizations
        selectors[2] = MaliciousSequencerHandler.finalize.selector;
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
    }
}
