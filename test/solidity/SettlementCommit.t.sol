// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {FillLib} from "../../contracts/libraries/FillLib.sol";
import {TestERC20} from "../../contracts/test/TestERC20.sol";
import {CommitPacker} from "./CommitPacker.sol";
import {SettlementDeploy} from "./SettlementDeploy.sol";

/// @dev A contract that holds the sequencer role and forwards a commit: never top-level.
contract CommitRelay {
    function commit(
        ISettlement settlement,
        uint64 batchId,
        bytes calldata fills,
        ISettlement.Delta[] calldata deltas
    ) external {
        settlement.commitBatch(batchId, fills, deltas);
    }
}

/// @dev The v2 commit (contracts/libraries/CommitLib.sol) against a sequencer that lies: the
/// contract rebuilds every leaf and every fill's effect on balances from the packed records, so a
/// delta that no fill justifies cannot be committed, a record cannot be bound to another account's
/// or token's delta, and the stored root is the root of the fills as sent, labelled with the
/// committed batch id and their positions. Commits are built by CommitPacker, written from the
/// spec independently of CommitLib (and checked against the shared vectors below).
contract SettlementCommitTest is Test {
    uint32 internal constant MARKET = 1;
    uint128 internal constant TICK = 10_000; // 0.01 USDC
    uint128 internal constant LOT = 1e14; // 0.0001 WETH: lot·tick = 10^18, quote = lots·ticks atoms
    address internal constant FEE_RECIPIENT = address(0xFEE);
    address internal constant SEQUENCER = address(0x5E0);
    uint256 internal constant MAX_COMMIT_BYTES = 120_000;

    ISettlement internal settlement;
    TestERC20 internal base;
    TestERC20 internal quote;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal dave = makeAddr("dave");
    uint256 internal _salt;

    function setUp() public {
        base = new TestERC20("Wrapped Ether", "WETH", 18);
        quote = new TestERC20("USD Coin", "USDC", 6);
        // This test is timelock, guardian and arbiter; SEQUENCER (an EOA) commits.
        settlement = SettlementDeploy.proxy(SettlementDeploy.params(address(this), FEE_RECIPIENT, 0.1 ether));
        settlement.setRoles(SEQUENCER, address(this), address(this));
        settlement.setTokenAllowed(address(base), true);
        settlement.setTokenAllowed(address(quote), true);
        settlement.registerMarket(MARKET, address(base), address(quote), TICK, LOT);
    }

    // ------------------------------------------------------------ (1) unjustified deltas

    /// @dev An honest fill (Alice sells 3 lots to Bob) whose deltas also move funds from Alice to
    /// Bob, in base or in quote: balanced and sorted, so only the fills can refuse it.
    function test_commit_refusesDeltasMovingFundsTheFillsDoNotJustify() public {
        for (uint256 t; t < 2; ++t) {
            address token = t == 0 ? address(base) : address(quote);
            CommitPacker.Commit memory c = _build(_one(_fill(alice, bob, 0, 250_000, 3, 100, 200)));
            uint256 a = CommitPacker.indexOf(c.deltas, alice, token);
            uint256 b = CommitPacker.indexOf(c.deltas, bob, token);
            c.deltas[a].delta -= 1;
            c.deltas[b].delta += 1;
            _expectCommitRevert(
                c,
                abi.encodeWithSelector(ISettlement.SettlementDeltaNotNetted.selector, _min(a, b))
            );
        }
        // The same fill with its own deltas commits.
        _commit(_build(_one(_fill(alice, bob, 0, 250_000, 3, 100, 200))));
        assertEq(settlement.nextBatchId(), 2);
    }

    /// @dev Deltas of pairs no fill touches: Alice pays Bob in a batch whose only fill is Carol's
    /// and Dave's. The records point at their own deltas; Alice's and Bob's are justified by nothing.
    function test_commit_refusesDeltasOfPairsNoFillTouches() public {
        ISettlement.Fill[] memory fills = _one(_fill(carol, dave, 1, 200_000, 2, 0, 40));
        ISettlement.Delta[] memory deltas = _deltasOf(fills);
        deltas = _withPair(deltas, alice, address(quote), -1e6);
        deltas = _withPair(deltas, bob, address(quote), 1e6);
        CommitPacker.Commit memory c = CommitPacker.buildWith(settlement, 1, fills, deltas);
        uint256 first = _min(
            CommitPacker.indexOf(c.deltas, alice, address(quote)),
            CommitPacker.indexOf(c.deltas, bob, address(quote))
        );
        _expectCommitRevert(c, abi.encodeWithSelector(ISettlement.SettlementDeltaNotNetted.selector, first));

        // A zero entry for a pair no fill touches nets (0 = 0): allowed, and it moves nothing.
        deltas = _withPair(_deltasOf(fills), alice, address(quote), 0);
        _commit(CommitPacker.buildWith(settlement, 1, fills, deltas));
    }

    /// @dev Zero deltas, allowed for pairs that net out, cannot carry a transfer: Alice sells a lot
    /// to Bob and buys it back at the same price, without fees, so every pair nets to zero.
    function test_commit_zeroDeltasNetTouchedPairsAndCarryNothing() public {
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](2);
        fills[0] = _fill(alice, bob, 0, 250_000, 1, 0, 0);
        fills[1] = _fill(alice, bob, 1, 250_000, 1, 0, 0);
        CommitPacker.Commit memory c = _build(fills);
        assertEq(c.deltas.length, 5, "alice and bob in both tokens, and the fee recipient's quote");
        for (uint256 j; j < c.deltas.length; ++j) assertEq(c.deltas[j].delta, 0, "nets out");

        uint256 a = CommitPacker.indexOf(c.deltas, alice, address(quote));
        uint256 b = CommitPacker.indexOf(c.deltas, bob, address(quote));
        c.deltas[a].delta = -5e6;
        c.deltas[b].delta = 5e6;
        _expectCommitRevert(
            c,
            abi.encodeWithSelector(ISettlement.SettlementDeltaNotNetted.selector, _min(a, b))
        );

        c.deltas[a].delta = 0;
        c.deltas[b].delta = 0;
        _commit(c);
        vm.warp(settlement.batch(1).finalizableAt);
        assertTrue(settlement.finalizeBatch(1, c.deltas), "zero deltas finalize on empty balances");
        assertEq(settlement.balanceOf(alice, address(quote)) + settlement.balanceOf(bob, address(quote)), 0);
    }

    // ------------------------------------------------------------ (2) records bound to their deltas

    /// @dev Record 1 (Carol sells to Dave) pointing one of its five indexes at a delta of another
    /// token, another account, or none: SettlementFillDeltaMismatch(1).
    function test_commit_refusesRecordPointingAtAnotherPairsDelta() public {
        CommitPacker.Commit memory c = _build(_two());
        ISettlement.Delta[] memory d = c.deltas;
        uint256 carolQuote = CommitPacker.indexOf(d, carol, address(quote));
        uint16[2][7] memory cases = [
            [uint16(CommitPacker.OFF_MAKER_BASE), uint16(carolQuote)], // the maker's other token
            [uint16(CommitPacker.OFF_MAKER_BASE), CommitPacker.indexOf(d, dave, address(base))], // the taker
            [uint16(CommitPacker.OFF_MAKER_QUOTE), CommitPacker.indexOf(d, alice, address(quote))], // another trader
            [uint16(CommitPacker.OFF_TAKER_QUOTE), uint16(carolQuote)], // the maker's quote
            [uint16(CommitPacker.OFF_FEE_QUOTE), CommitPacker.indexOf(d, alice, address(quote))], // fee to a trader
            [uint16(CommitPacker.OFF_TAKER_BASE), uint16(d.length)], // no such delta
            [uint16(CommitPacker.OFF_FEE_QUOTE), type(uint16).max]
        ];
        for (uint256 k; k < cases.length; ++k) {
            bytes memory fills = _mutated(c.fills, 1, cases[k][0], 2, cases[k][1]);
            vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementFillDeltaMismatch.selector, 1));
            _send(c.batchId, fills, d);
        }
    }

    /// @dev Record 1 re-pointed consistently at Alice's deltas binds fine, but then its fill is
    /// Alice's (its leaf names her), and neither Alice's nor Carol's deltas net any more.
    function test_commit_refusesRecordRepointedAtAnotherTradersDeltas() public {
        CommitPacker.Commit memory c = _build(_two());
        ISettlement.Delta[] memory d = c.deltas;
        bytes memory fills = _mutated(
            c.fills,
            1,
            CommitPacker.OFF_MAKER_BASE,
            2,
            CommitPacker.indexOf(d, alice, address(base))
        );
        fills = _mutated(
            fills,
            1,
            CommitPacker.OFF_MAKER_QUOTE,
            2,
            CommitPacker.indexOf(d, alice, address(quote))
        );
        uint256 first = _min(
            _min(
                CommitPacker.indexOf(d, alice, address(base)),
                CommitPacker.indexOf(d, alice, address(quote))
            ),
            _min(
                CommitPacker.indexOf(d, carol, address(base)),
                CommitPacker.indexOf(d, carol, address(quote))
            )
        );
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementDeltaNotNetted.selector, first));
        _send(c.batchId, fills, d);
    }

    // ------------------------------------------------------------ (3) the stored root

    /// @dev The stored root is the helper's root of the fills as sent; every leaf carries the
    /// committed batch id and its record's position, and proves (OpenZeppelin MerkleProof) with the
    /// helper's proof; relabelled, it does not. The same records committed as the next batch give
    /// another root: the sequencer chooses no label.
    function test_commit_storesTheRootOfTheFillsLabelledByBatchAndPosition() public {
        ISettlement.Fill[] memory fills = _three();
        CommitPacker.Commit memory c = _build(fills);
        vm.expectEmit(address(settlement));
        emit ISettlement.BatchCommitted(
            1,
            c.root,
            keccak256(abi.encode(c.deltas)),
            3,
            uint64(block.timestamp) + 1 hours
        );
        _commit(c);
        ISettlement.Batch memory b = settlement.batch(1);
        assertEq(b.fillsRoot, c.root, "stored root");
        assertEq(b.fillCount, 3, "fill count");

        for (uint256 i; i < 3; ++i) {
            ISettlement.Fill memory f = c.leaves[i];
            assertEq(f.batchId, 1);
            assertEq(f.index, i);
            bytes32[] memory proof = CommitPacker.proof(c.leafHashes, i);
            assertTrue(MerkleProof.verify(proof, b.fillsRoot, FillLib.leaf(f)), "leaf proves");
            f.batchId = 2;
            assertFalse(MerkleProof.verify(proof, b.fillsRoot, FillLib.leaf(f)), "another batch id");
            f.batchId = 1;
            f.index = uint32((i + 1) % 3);
            assertFalse(MerkleProof.verify(proof, b.fillsRoot, FillLib.leaf(f)), "another index");
            f.index = uint32(i);
            // Labelled right: no mislabelled-leaf proof.
            vm.expectRevert(ISettlement.SettlementNoFraud.selector);
            settlement.proveMislabelledFill(1, f, proof);
        }
        // The contract verifies the helper's proofs too: the maker of fill 2 challenges it.
        vm.prank(c.leaves[2].maker);
        settlement.challengeFill(c.leaves[2], CommitPacker.proof(c.leafHashes, 2));
        assertEq(settlement.batch(1).openChallenges, 1);

        // The same bytes as batch 2: another root, the helper's for batch 2.
        CommitPacker.Commit memory c2 = _build(_three());
        assertEq(keccak256(c2.fills), keccak256(c.fills), "same records");
        assertEq(keccak256(abi.encode(c2.deltas)), keccak256(abi.encode(c.deltas)), "same deltas");
        // Not as batch 3 (ids are consecutive), so no label is the sequencer's to choose.
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBatchOutOfOrder.selector, 2, 3));
        _send(3, c2.fills, c2.deltas);
        _commit(c2);
        assertEq(settlement.batch(2).fillsRoot, c2.root);
        assertTrue(c2.root != c.root, "the leaves bind the batch id");
    }

    /// @dev Trees of 1 to 9 leaves: the stored root is the helper's (odd and even shapes alike).
    function test_commit_rootOfEveryTreeShape() public {
        for (uint256 n = 1; n <= 9; ++n) {
            ISettlement.Fill[] memory fills = new ISettlement.Fill[](n);
            for (uint256 i; i < n; ++i)
                fills[i] = _fill(alice, bob, uint8(i % 2), 200_000 + i, 1 + i, i, 2 * i);
            CommitPacker.Commit memory c = _build(fills);
            _commit(c);
            assertEq(settlement.batch(c.batchId).fillsRoot, c.root, "root");
            for (uint256 i; i < n; ++i) {
                assertTrue(
                    MerkleProof.verify(CommitPacker.proof(c.leafHashes, i), c.root, c.leafHashes[i]),
                    "proof"
                );
            }
        }
    }

    // ------------------------------------------------------------ (4) fuzz: valid batches, moved amounts

    /// @dev Random small batches of valid fills (1 to 6, between 2 to 4 traders, random sides,
    /// prices, sizes, fees and cumulative fills) commit with the helper's deltas. Changing one delta
    /// amount alone unbalances its token (SettlementDeltasNotBalanced, checked first); moving the
    /// same amount between two deltas of one token keeps every sum and is refused by the fills:
    /// SettlementDeltaNotNetted at the first of the two.
    function testFuzz_commit_validBatchesCommitAndAnyChangedDeltaIsRefused(
        uint256 seed,
        uint256 pick,
        int128 moved
    ) public {
        if (moved == 0) moved = 1;
        address[4] memory traders = [alice, bob, carol, dave];
        uint256 k = 2 + (seed % 3);
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](1 + ((seed >> 8) % 6));
        for (uint256 i; i < fills.length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 m = r % k;
            uint64 ticks = uint64(1 + ((r >> 8) % 1e9));
            uint64 lots = uint64(1 + ((r >> 40) % 1e9));
            uint256 q = uint256(lots) * ticks; // quote atoms (lot·tick = 10^18)
            fills[i] = _fill(
                traders[m],
                traders[(m + 1 + ((r >> 72) % (k - 1))) % k],
                uint8((r >> 80) % 2),
                ticks,
                lots,
                (r >> 88) % (q / 100 + 1), // up to 1% of the quote amount
                (r >> 128) % (q / 100 + 1)
            );
            fills[i].makerFilledAfter += uint128(LOT * ((r >> 168) % 1_000));
            fills[i].takerFilledAfter += uint128(LOT * ((r >> 200) % 1_000));
        }
        CommitPacker.Commit memory c = _build(fills);

        // One delta changed alone: its token no longer sums to zero.
        uint256 j = pick % c.deltas.length;
        c.deltas[j].delta += moved;
        _expectCommitRevert(
            c,
            abi.encodeWithSelector(ISettlement.SettlementDeltasNotBalanced.selector, c.deltas[j].token)
        );
        c.deltas[j].delta -= moved;

        // Moved to another delta of the same token (there always is one: maker and taker differ).
        uint256 other = (j + 1) % c.deltas.length;
        while (c.deltas[other].token != c.deltas[j].token) other = (other + 1) % c.deltas.length;
        c.deltas[j].delta -= moved;
        c.deltas[other].delta += moved;
        _expectCommitRevert(
            c,
            abi.encodeWithSelector(ISettlement.SettlementDeltaNotNetted.selector, _min(j, other))
        );
        c.deltas[j].delta += moved;
        c.deltas[other].delta -= moved;

        _commit(c);
        assertEq(settlement.batch(1).fillsRoot, c.root, "root");
        assertEq(settlement.batch(1).fillCount, fills.length, "fill count");
        assertEq(settlement.batch(1).deltasHash, keccak256(abi.encode(c.deltas)), "deltas hash");
    }

    // ------------------------------------------------------------ (5) records that cannot be fills

    /// @dev Record 1 of a valid batch made malformed: a side other than 0 or 1, no lots, no ticks,
    /// a cumulative fill (maker's or taker's) below the fill.
    function test_commit_refusesBadFillRecords() public {
        CommitPacker.Commit memory c = _build(_two());
        uint256 lots = CommitPacker.getField(c.fills, 1, CommitPacker.OFF_LOTS, 8);
        uint256[3][7] memory cases = [
            [CommitPacker.OFF_TAKER_SIDE, 1, 4],
            [CommitPacker.OFF_TAKER_SIDE, 1, 255],
            [CommitPacker.OFF_LOTS, 8, 0],
            [CommitPacker.OFF_TICKS, 8, 0],
            [CommitPacker.OFF_MAKER_LOTS, 8, lots - 1],
            [CommitPacker.OFF_TAKER_LOTS, 8, lots - 1],
            [CommitPacker.OFF_MAKER_LOTS, 8, 0]
        ];
        for (uint256 k; k < cases.length; ++k) {
            bytes memory fills = _mutated(c.fills, 1, cases[k][0], cases[k][1], cases[k][2]);
            vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBadFill.selector, 1));
            _send(1, fills, c.deltas);
        }
        // Cumulative fills equal to the fill are fine (the fills are valid as built).
        _send(1, c.fills, c.deltas);
    }

    /// @dev A length that is not a whole number of records: SettlementBadFill(whole records); less
    /// than one record is an empty batch.
    function test_commit_refusesTruncatedRecords() public {
        CommitPacker.Commit memory c = _build(_two());
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBadFill.selector, 2));
        _send(1, bytes.concat(c.fills, hex"00"), c.deltas);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBadFill.selector, 1));
        _send(1, _prefix(c.fills, 2 * CommitPacker.RECORD_BYTES - 1), c.deltas);
        vm.expectRevert(ISettlement.SettlementEmptyBatch.selector);
        _send(1, _prefix(c.fills, CommitPacker.RECORD_BYTES - 1), c.deltas);
        vm.expectRevert(ISettlement.SettlementEmptyBatch.selector);
        _send(1, "", c.deltas);
    }

    /// @dev A record naming an unregistered market, and one whose amounts leave uint128 (a market
    /// with a huge lot: 2^40 lots of 10^30 atoms).
    function test_commit_refusesUnknownMarketsAndAmountsBeyondUint128() public {
        CommitPacker.Commit memory c = _build(_two());
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnknownMarket.selector, 99));
        _send(1, _mutated(c.fills, 1, CommitPacker.OFF_MARKET_ID, 4, 99), c.deltas);

        settlement.registerMarket(2, address(base), address(quote), 1, 1e30);
        ISettlement.Fill memory f = _fill(alice, bob, 0, 1, 1, 0, 0);
        (f.marketId, f.price, f.baseAmount) = (2, 1, 1e30);
        (f.makerFilledAfter, f.takerFilledAfter) = (1e30, 1e30);
        c = _build(_one(f));
        bytes memory fills = _mutated(c.fills, 0, CommitPacker.OFF_LOTS, 8, 1 << 40);
        fills = _mutated(fills, 0, CommitPacker.OFF_MAKER_LOTS, 8, 1 << 40);
        fills = _mutated(fills, 0, CommitPacker.OFF_TAKER_LOTS, 8, 1 << 40);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBadFill.selector, 0));
        _send(1, fills, c.deltas);
        _send(1, c.fills, c.deltas); // one lot of 10^30 atoms: within uint128
    }

    // ------------------------------------------------------------ (6) top-level only

    /// @dev The sequencer must be the transaction itself, so its input holds the fills: a call with
    /// another origin, or through a contract holding the role, is refused.
    function test_commit_refusesCallsThatAreNotTopLevel() public {
        CommitPacker.Commit memory c = _build(_two());
        vm.expectRevert(ISettlement.SettlementNotTopLevel.selector);
        vm.prank(SEQUENCER, address(0xBEEF));
        settlement.commitBatch(1, c.fills, c.deltas);

        CommitRelay relay = new CommitRelay();
        settlement.setRoles(address(relay), address(this), address(this));
        vm.expectRevert(ISettlement.SettlementNotTopLevel.selector);
        vm.prank(SEQUENCER, SEQUENCER);
        relay.commit(settlement, 1, c.fills, c.deltas);

        // Top-level but not the sequencer: unauthorized, as before.
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, SEQUENCER));
        _send(1, c.fills, c.deltas);

        settlement.setRoles(SEQUENCER, address(this), address(this));
        _send(1, c.fills, c.deltas);
    }

    // ------------------------------------------------------------ (7) size caps

    /// @dev 120,000 bytes of calldata at most: with 5 deltas, 834 records fit and 835 do not (the
    /// byte cap binds before the 1,024-fill cap: 1,024 records alone are 146,432 bytes).
    function test_commit_refusesCalldataBeyondTheByteCap() public {
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](834);
        for (uint256 i; i < fills.length; ++i)
            fills[i] = _fill(alice, bob, uint8(i % 2), 250_000, 1 + (i % 7), 3, 5);
        CommitPacker.Commit memory c = _build(fills);
        assertEq(c.deltas.length, 5);

        bytes memory over = bytes.concat(c.fills, _prefix(c.fills, CommitPacker.RECORD_BYTES));
        uint256 overBytes = abi.encodeCall(ISettlement.commitBatch, (1, over, c.deltas)).length;
        assertGt(overBytes, MAX_COMMIT_BYTES);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SettlementBatchTooLarge.selector, 835, 5, overBytes)
        );
        _send(1, over, c.deltas);

        assertLe(abi.encodeCall(ISettlement.commitBatch, (1, c.fills, c.deltas)).length, MAX_COMMIT_BYTES);
        _commit(c);
        emit log_named_uint("commit gas, 834 fills", vm.lastCallGas().gasTotalUsed);
        assertEq(settlement.batch(1).fillsRoot, c.root);
        assertEq(settlement.batch(1).fillCount, 834);
    }

    /// @dev 512 deltas at most (checked before anything is read from them).
    function test_commit_refusesMoreThan512Deltas() public {
        CommitPacker.Commit memory c = _build(_two());
        ISettlement.Delta[] memory deltas = new ISettlement.Delta[](513);
        uint256 size = abi.encodeCall(ISettlement.commitBatch, (1, c.fills, deltas)).length;
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBatchTooLarge.selector, 2, 513, size));
        _send(1, c.fills, deltas);
    }

    // ------------------------------------------------------------ the helper against the shared vectors

    /// @dev test/vectors/vectors.json, made by scripts/gen-vectors.ts with viem's encodePacked and
    /// OpenZeppelin's JS StandardMerkleTree (sortLeaves false): the helper packs the vectors' batch
    /// to the same bytes, deltas, leaves, root and proofs.
    function test_packer_matchesTheSharedVectors() public pure {
        ISettlement.Fill[] memory fills = new ISettlement.Fill[](3);
        fills[0] = ISettlement.Fill({
            batchId: 0,
            index: 0,
            makerOrderHash: 0xd05d577e1bbb570ac5e12ef5b8921704cb3f88a1e4b221c92b2e0f45bff2088d,
            takerOrderHash: 0x0ba4076dcc73ee88d68daca95bc3354fd8ec961d758501c0f140672642dfcd82,
            maker: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8,
            taker: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
            marketId: 1,
            takerSide: 0,
            price: 2500000000,
            baseAmount: 1000000000000000000,
            quoteAmount: 0,
            makerFee: 500000,
            takerFee: 6250000,
            makerFilledAfter: 1000000000000000000,
            takerFilledAfter: 1000000000000000000,
            takerFok: false,
            fokRunEnd: false
        });
        fills[1] = ISettlement.Fill({
            batchId: 0,
            index: 0,
            makerOrderHash: 0x17d89b89743f364b0d2455b236c2bf8c479f332b5ee12653313b4169d3535c8a,
            takerOrderHash: 0x0ba4076dcc73ee88d68daca95bc3354fd8ec961d758501c0f140672642dfcd82,
            maker: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8,
            taker: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
            marketId: 1,
            takerSide: 0,
            price: 2500000000,
            baseAmount: 500000000000000000,
            quoteAmount: 0,
            makerFee: 0,
            takerFee: 3125000,
            makerFilledAfter: 500000000000000000,
            takerFilledAfter: 1500000000000000000,
            takerFok: false,
            fokRunEnd: false
        });
        fills[2] = ISettlement.Fill({
            batchId: 0,
            index: 0,
            makerOrderHash: 0x0bb1bce60c5e00f8e643500e9ea101547d94b55d8c6db37d82bb8d1fc56cfabe,
            takerOrderHash: 0x103da9ca4e14ecec36c26b782af50e6cef27263399deb0b00132fa9691458e80,
            maker: 0x90F79bf6EB2c4f870365E785982E1f101E93b906,
            taker: 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65,
            marketId: 1,
            takerSide: 1,
            price: 2499000000,
            baseAmount: 1000000000000000000,
            quoteAmount: 0,
            makerFee: 1249500,
            takerFee: 7497000,
            makerFilledAfter: 1000000000000000000,
            takerFilledAfter: 1000000000000000000,
            takerFok: true,
            fokRunEnd: false
        });
        ISettlement.Market memory market = ISettlement.Market({
            baseToken: 0x5FbDB2315678afecb367f032d93F642f64180aa3,
            quoteToken: 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512,
            tickSize: 10000,
            lotSize: 100000000000000,
            baseDecimals: 18,
            registered: true,
            paused: false
        });
        ISettlement.Market[] memory markets = new ISettlement.Market[](3);
        (markets[0], markets[1], markets[2]) = (market, market, market);
        CommitPacker.Commit memory c = CommitPacker.pack(
            7,
            fills,
            markets,
            0xa0Ee7A142d267C1f36714E4a8F75612F20a79720
        );

        assertEq(
            c.fills,
            bytes.concat(
                hex"d05d577e1bbb570ac5e12ef5b8921704cb3f88a1e4b221c92b2e0f45bff2088d0ba4076dcc73ee88",
                hex"d68daca95bc3354fd8ec961d758501c0f140672642dfcd820000000100000000000003d090000000",
                hex"00000027100000000000000000000000000007a120000000000000000000000000005f5e10000000",
                hex"000000271000000000000027100004000500020003000817d89b89743f364b0d2455b236c2bf8c47",
                hex"9f332b5ee12653313b4169d3535c8a0ba4076dcc73ee88d68daca95bc3354fd8ec961d758501c0f1",
                hex"40672642dfcd820000000100000000000003d0900000000000001388000000000000000000000000",
                hex"00000000000000000000000000000000002faf0800000000000013880000000000003a9800040005",
                hex"0002000300080bb1bce60c5e00f8e643500e9ea101547d94b55d8c6db37d82bb8d1fc56cfabe103d",
                hex"a9ca4e14ecec36c26b782af50e6cef27263399deb0b00132fa9691458e8000000001030000000000",
                hex"03d02c0000000000002710000000000000000000000000001310dc00000000000000000000000000",
                hex"7265280000000000002710000000000000271000060007000000010008"
            ),
            "packed records"
        );
        assertEq(c.deltas.length, 9, "delta count");
        int256[9] memory amounts = [
            int256(-1000000000000000000),
            int256(2491503000),
            int256(1500000000000000000),
            int256(-3759375000),
            int256(-1500000000000000000),
            int256(3749500000),
            int256(1000000000000000000),
            int256(-2500249500),
            int256(18621500)
        ];
        address[9] memory accounts = [
            0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65,
            0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65,
            0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
            0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
            0x70997970C51812dc3A010C7d01b50e0d17dc79C8,
            0x70997970C51812dc3A010C7d01b50e0d17dc79C8,
            0x90F79bf6EB2c4f870365E785982E1f101E93b906,
            0x90F79bf6EB2c4f870365E785982E1f101E93b906,
            0xa0Ee7A142d267C1f36714E4a8F75612F20a79720
        ];
        for (uint256 j; j < 9; ++j) {
            assertEq(c.deltas[j].account, accounts[j], "delta account");
            assertEq(
                c.deltas[j].token,
                j % 2 == 0 && j != 8 ? market.baseToken : market.quoteToken,
                "delta token"
            );
            assertEq(c.deltas[j].delta, amounts[j], "delta amount");
        }
        bytes32[3] memory leaves = [
            bytes32(0xd77d534736d99c83b7a2cef3140afcbc79ce69913d5de94e9ff7a2391cf49bbb),
            bytes32(0x038c831516e3e18e46b9694c4798887cf2a00e075010ec4836e28669214e83e1),
            bytes32(0xb2eb78700acb03c80d7770073e7798c1b5237a26e3c1267fb25b9052889a6c2d)
        ];
        for (uint256 i; i < 3; ++i) assertEq(c.leafHashes[i], leaves[i], "leaf");
        assertEq(c.root, 0x3c0960553c1f1fe70690c387b559a6c2f2afc104acbd58243bead265d7f25bd4, "root");
        bytes32[] memory proof0 = CommitPacker.proof(c.leafHashes, 0);
        assertEq(proof0.length, 2);
        assertEq(proof0[0], 0x038c831516e3e18e46b9694c4798887cf2a00e075010ec4836e28669214e83e1);
        assertEq(proof0[1], 0xb2eb78700acb03c80d7770073e7798c1b5237a26e3c1267fb25b9052889a6c2d);
        bytes32[] memory proof1 = CommitPacker.proof(c.leafHashes, 1);
        assertEq(proof1.length, 2);
        assertEq(proof1[0], 0xd77d534736d99c83b7a2cef3140afcbc79ce69913d5de94e9ff7a2391cf49bbb);
        assertEq(proof1[1], 0xb2eb78700acb03c80d7770073e7798c1b5237a26e3c1267fb25b9052889a6c2d);
        bytes32[] memory proof2 = CommitPacker.proof(c.leafHashes, 2);
        assertEq(proof2.length, 1);
        assertEq(proof2[0], 0xeb08f0f351713da598028faeab882a941928f9a03281bc76760d643c249383df);
    }

    // ------------------------------------------------------------ helpers

    /// @dev A fill of `lots` lots at `ticks` ticks on MARKET, on fresh orders filled by it alone.
    function _fill(
        address maker,
        address taker,
        uint8 takerSide,
        uint256 ticks,
        uint256 lots,
        uint256 makerFee,
        uint256 takerFee
    ) internal returns (ISettlement.Fill memory f) {
        ++_salt;
        f.makerOrderHash = keccak256(abi.encode("maker", _salt));
        f.takerOrderHash = keccak256(abi.encode("taker", _salt));
        (f.maker, f.taker, f.marketId, f.takerSide) = (maker, taker, MARKET, takerSide);
        f.price = uint128(ticks * TICK);
        f.baseAmount = uint128(lots * LOT);
        (f.makerFee, f.takerFee) = (uint128(makerFee), uint128(takerFee));
        (f.makerFilledAfter, f.takerFilledAfter) = (f.baseAmount, f.baseAmount);
    }

    function _one(ISettlement.Fill memory f) internal pure returns (ISettlement.Fill[] memory fills) {
        fills = new ISettlement.Fill[](1);
        fills[0] = f;
    }

    /// @dev Alice sells 3 lots to Bob; Carol sells 2 lots to Dave (taker buys, both).
    function _two() internal returns (ISettlement.Fill[] memory fills) {
        fills = new ISettlement.Fill[](2);
        fills[0] = _fill(alice, bob, 0, 250_000, 3, 100, 200);
        fills[1] = _fill(carol, dave, 0, 240_000, 2, 50, 150);
    }

    /// @dev Three fills (an odd tree), the same on every call (fixed order hashes).
    function _three() internal pure returns (ISettlement.Fill[] memory fills) {
        fills = new ISettlement.Fill[](3);
        address[3] memory makers = [address(0xA11CE), address(0xCA401), address(0xB0B)];
        address[3] memory takers = [address(0xB0B), address(0xDA7E), address(0xCA401)];
        for (uint256 i; i < 3; ++i) {
            ISettlement.Fill memory f = fills[i];
            f.makerOrderHash = keccak256(abi.encode("three: maker", i));
            f.takerOrderHash = keccak256(abi.encode("three: taker", i));
            (f.maker, f.taker, f.marketId, f.takerSide) = (makers[i], takers[i], MARKET, uint8(i % 2));
            f.price = uint128(TICK * (250_000 + i));
            f.baseAmount = uint128(LOT * (1 + i));
            (f.makerFee, f.takerFee) = (uint128(10 * i), uint128(20 * i + 1));
            (f.makerFilledAfter, f.takerFilledAfter) = (f.baseAmount, 2 * f.baseAmount);
        }
    }

    function _build(ISettlement.Fill[] memory fills) internal view returns (CommitPacker.Commit memory) {
        return CommitPacker.buildNext(settlement, fills);
    }

    function _deltasOf(ISettlement.Fill[] memory fills) internal view returns (ISettlement.Delta[] memory) {
        ISettlement.Market[] memory markets = new ISettlement.Market[](fills.length);
        for (uint256 i; i < fills.length; ++i) markets[i] = settlement.market(fills[i].marketId);
        return CommitPacker.deltasOf(fills, markets, FEE_RECIPIENT);
    }

    function _commit(CommitPacker.Commit memory c) internal {
        CommitPacker.commit(settlement, SEQUENCER, c);
    }

    /// @dev commitBatch from the sequencer, top-level.
    function _send(uint64 batchId, bytes memory fills, ISettlement.Delta[] memory deltas) internal {
        vm.prank(SEQUENCER, SEQUENCER);
        settlement.commitBatch(batchId, fills, deltas);
    }

    function _expectCommitRevert(CommitPacker.Commit memory c, bytes memory reason) internal {
        vm.expectRevert(reason);
        _commit(c);
    }

    /// @dev A copy of `fills` with one field of record `i` overwritten.
    function _mutated(
        bytes memory fills,
        uint256 i,
        uint256 offset,
        uint256 size,
        uint256 value
    ) internal pure returns (bytes memory out) {
        out = bytes.concat(fills);
        CommitPacker.setField(out, i, offset, size, value);
    }

    function _prefix(bytes memory data, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i; i < length; ++i) out[i] = data[i];
    }

    /// @dev `deltas` with (account, token, amount) inserted in sorted position (the pair must be new).
    function _withPair(
        ISettlement.Delta[] memory deltas,
        address account,
        address token,
        int256 amount
    ) internal pure returns (ISettlement.Delta[] memory out) {
        out = new ISettlement.Delta[](deltas.length + 1);
        uint256 k;
        bool placed;
        for (uint256 j; j < deltas.length; ++j) {
            if (!placed && CommitPacker.lessThan(account, token, deltas[j].account, deltas[j].token)) {
                out[k++] = ISettlement.Delta(account, token, amount);
                placed = true;
            }
            out[k++] = deltas[j];
        }
        if (!placed) out[k] = ISettlement.Delta(account, token, amount);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
