// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderLib} from "../libraries/OrderLib.sol";

/// @title ISettlement
/// @notice Clearmatch's on-chain half: a vault of allow-listed ERC-20s whose balances change only
/// by deposits, withdrawals and finalized batches of matched fills. Batches are committed by the
/// sequencer (fills as a Merkle root, netted balance deltas as calldata), can be rolled back during
/// a challenge window (fraud proofs, unanswered trader challenges, disputes upheld by the arbiter),
/// and are finalized strictly in order by anyone after the window. See DESIGN.md.
/// @dev Time rules, used throughout:
/// - an on-chain cancel or nonce bump binds a batch when it happened at or before the batch's
///   `cancelCutoffBlock` (`commitBlock - cancelGraceBlocks`): the sequencer honours it as soon as it
///   sees it, and the grace covers what it may already have matched and cut (docs/protocol.md,
///   section 5), so a trader cannot make its own fill provable by cancelling just before the commit.
/// - a market paused at the end of `commitBlock - 1` or of `commitBlock` makes the batch's fills in
///   it provable (the sequencer cannot see an event of the block it commits in).
/// - an order is expired at a batch when `order.expiry <= batch.committedAt` (unix seconds).
interface ISettlement {
    // ---------------------------------------------------------------- types

    /// @notice Net balance change of one account in one token, part of a batch.
    /// @dev A batch's deltas are sorted strictly ascending by (uint160(account), uint160(token)),
    /// one per pair its fills touch (zero for a pair they net out), and sum to zero per token; at
    /// commit each must equal the net of the fills pointing at it (CommitLib).
    struct Delta {
        address account;
        address token;
        int256 delta;
    }

    /// @notice One matched fill, the preimage of a leaf of a batch's fills tree
    /// (OpenZeppelin StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(fields))))).
    struct Fill {
        uint64 batchId; // batch the fill was committed in
        uint32 index; // position in the batch, from 0
        bytes32 makerOrderHash; // EIP-712 digest of the resting order
        bytes32 takerOrderHash; // EIP-712 digest of the incoming order
        address maker; // trader of the maker order
        address taker; // trader of the taker order
        uint32 marketId; // market of both orders
        uint8 takerSide; // 0 taker buys, 1 taker sells
        uint128 price; // execution price: the maker's limit
        uint128 baseAmount; // base atoms exchanged
        uint128 quoteAmount; // baseAmount * price / 10^baseDecimals
        uint128 makerFee; // quote atoms charged to the maker
        uint128 takerFee; // quote atoms charged to the taker
        uint128 makerFilledAfter; // maker order's cumulative filled base after this fill
        uint128 takerFilledAfter; // taker order's cumulative filled base after this fill
        // The taker order is fill-or-kill (as the sequencer claims; a proof checks the claim). Its
        // fills in a batch are one contiguous run starting at 0 (checked at commit), so the run's
        // end must reach the order amount.
        bool takerFok;
        bool fokRunEnd; // set by the contract: the last fill of its FOK run in this batch
    }

    /// @notice A market: base/quote pair with its price and size steps.
    struct Market {
        address baseToken;
        address quoteToken;
        uint128 tickSize; // price step, quote atoms per whole base unit
        uint128 lotSize; // base amount step, base atoms
        uint8 baseDecimals; // read from the base token at registration
        bool registered;
        bool paused;
    }

    enum BatchStatus {
        None,
        Pending,
        Finalized,
        RolledBack
    }

    /// @notice What the contract keeps of a committed batch.
    struct Batch {
        bytes32 fillsRoot; // Merkle root of the batch's fill leaves
        bytes32 deltasHash; // keccak256(abi.encode(deltas))
        uint64 committedAt; // block.timestamp of the commit
        uint64 commitBlock; // block.number of the commit
        uint64 finalizableAt; // committedAt + challengeWindow (at commit time)
        uint32 fillCount;
        uint32 openChallenges; // unanswered trader challenges: block finalization
        uint32 openDisputes; // unresolved disputes: block finalization
        BatchStatus status;
        uint64 cancelCutoffBlock; // commitBlock - cancelGraceBlocks: cancels and nonce bumps up to this block bind the batch
    }

    /// @notice A pending withdrawal request of one account in one token.
    struct WithdrawalRequest {
        uint128 amount;
        uint64 executableAt;
    }

    enum ChallengeStatus {
        None,
        Open,
        Answered,
        Upheld // unanswered in time: the batch was rolled back
    }

    /// @notice A trader's claim "I never signed the order this fill names".
    struct Challenge {
        uint64 batchId;
        address trader;
        uint64 deadline; // the sequencer must answer before this time
        ChallengeStatus status;
    }

    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Dismissed,
        Expired // the arbiter did not decide in time: dismissed, bond refunded
    }

    /// @notice A bonded claim about anything a fraud proof cannot show (e.g. deltas that do not
    /// match the fills), decided by the arbiter.
    struct Dispute {
        uint64 batchId;
        address disputer;
        uint128 bond; // native currency held until the dispute ends
        uint64 deadline; // after this anyone may expire the dispute
        DisputeStatus status;
        bytes32 claimHash; // keccak256 of the off-chain claim document
    }

    /// @notice Why a batch (and every later pending batch) was rolled back.
    enum RollbackReason {
        FraudProof,
        ConflictingFills,
        ChallengeUnanswered,
        DisputeUpheld,
        NegativeBalance
    }

    /// @notice What a fill-versus-order fraud proof showed.
    enum FraudKind {
        PriceWorseThanLimit,
        OverFilled,
        FeeAboveMax,
        Expired,
        WrongMarket,
        WrongTrader,
        WrongSide,
        Cancelled,
        NonceInvalidated,
        MarketPaused,
        BadQuoteAmount,
        OffTickOrLot,
        MislabelledLeaf, // a leaf of the batch names another batch id or an index >= its fill count
        NotMakersPrice, // the fill's price is not the maker order's limit (the execution price rule)
        FlagsViolated, // a post-only order filled as taker, an IOC or FOK order filled as maker (it rested), or a leaf's FOK claim that is not the order's
        FokPartial // the end of a FOK order's run of fills in a batch is below the order amount
    }

    /// @notice Everything `initialize` sets. Roles may not be the zero address.
    struct InitParams {
        address timelock; // upgrades, parameters, tokens, markets, unpause, role changes
        address guardian; // pause the contract or a market at once
        address arbiter; // decides disputes
        address sequencer; // commits batches, answers challenges
        address feeRecipient; // account credited with fees by batches
        uint64 challengeWindow; // seconds from commit to finalizable
        uint64 challengeResponseWindow; // seconds the sequencer has to answer a challenge
        uint64 withdrawalDelay; // seconds from request to withdraw; > challenge + response windows + dispute timeout
        uint64 disputeTimeout; // seconds the arbiter has to decide a dispute
        uint128 disputeBond; // native currency a dispute must post
        uint32 cancelGraceBlocks; // an on-chain cancel or nonce bump in block c binds commits in blocks >= c + this (>= 1)
    }

    // ---------------------------------------------------------------- events

    /// @notice `amount` of `token` was added to `account`'s vault balance.
    event Deposited(address indexed account, address indexed token, uint256 amount);
    /// @notice `account` asked to withdraw up to `amount` of `token`, executable from `executableAt`
    /// (replaces an earlier request of the same token).
    event WithdrawalRequested(
        address indexed account,
        address indexed token,
        uint256 amount,
        uint64 executableAt
    );
    /// @notice `amount` of `token` left the vault for `account` (what remained of its request).
    event Withdrawn(address indexed account, address indexed token, uint256 amount);
    /// @notice `account` dropped its pending withdrawal request of `token`.
    event WithdrawalCancelled(address indexed account, address indexed token);
    /// @notice `trader` cancelled an order on-chain: it binds commits from `cancelGraceBlocks` later.
    event OrderCancelled(address indexed trader, bytes32 indexed orderHash);
    /// @notice A contract wallet's consent to an order, fixed on-chain (docs/protocol.md, section 4).
    event OrderApproved(address indexed trader, bytes32 indexed orderHash);
    /// @notice `trader`'s orders with a nonce below `minNonce` are invalid (same grace as a cancel).
    event NoncesInvalidated(address indexed trader, uint64 minNonce);

    /// @notice `token` was added to (`allowed`) or removed from the deposit allow-list.
    event TokenAllowed(address indexed token, bool allowed);
    /// @notice A market was registered with its tokens, price and size steps and base decimals.
    event MarketRegistered(
        uint32 indexed marketId,
        address baseToken,
        address quoteToken,
        uint128 tickSize,
        uint128 lotSize,
        uint8 baseDecimals
    );
    /// @notice A market was paused or unpaused: fills committed while it is paused are provable.
    event MarketPaused(uint32 indexed marketId, bool paused);
    /// @notice The whole contract was paused (by the guardian or the timelock).
    event Paused(address account);
    /// @notice The whole contract was unpaused (by the timelock).
    event Unpaused(address account);

    /// @notice Batch `batchId` was committed: the root of its fills, the hash of its deltas, its
    /// fill count and the time from which it may be finalized.
    event BatchCommitted(
        uint64 indexed batchId,
        bytes32 fillsRoot,
        bytes32 deltasHash,
        uint32 fillCount,
        uint64 finalizableAt
    );
    /// @notice Batch `batchId`'s deltas were applied to vault balances.
    event BatchFinalized(uint64 indexed batchId);
    /// @notice Batches `fromBatchId` through `toBatchId` (inclusive) were rolled back; `fromBatchId`
    /// is the batch the reason applies to, the others cascaded.
    event BatchesRolledBack(uint64 indexed fromBatchId, uint64 toBatchId, RollbackReason reason);
    /// @notice A fill of batch `batchId` contradicts the signed order `orderHash` in the way `kind`
    /// names (0 for a mislabelled leaf); the rollback follows.
    event FraudProven(uint64 indexed batchId, bytes32 indexed orderHash, FraudKind kind);

    /// @notice `trader` claims never to have signed order `orderHash` of a fill in `batchId`.
    event ChallengeOpened(
        uint256 indexed challengeId,
        uint64 indexed batchId,
        bytes32 indexed orderHash,
        address trader
    );
    /// @notice The signed order was shown: the challenge holds nothing any more.
    event ChallengeAnswered(uint256 indexed challengeId);
    /// @notice Unanswered at its deadline: its batch rolled back if it was still pending.
    event ChallengeUpheld(uint256 indexed challengeId);

    /// @notice `disputer` posted the bond against pending batch `batchId` with the claim
    /// `claimHash` (keccak256 of the off-chain claim document).
    event DisputeOpened(
        uint256 indexed disputeId,
        uint64 indexed batchId,
        address indexed disputer,
        bytes32 claimHash
    );
    /// @notice The dispute ended as `status` (upheld, dismissed or expired).
    event DisputeResolved(uint256 indexed disputeId, DisputeStatus status);
    /// @notice A bond (refunded or forfeited) is owed to `account`, to take with `withdrawBond`.
    event BondCredited(address indexed account, uint256 amount);
    /// @notice `account` took `amount` of bonds owed to it.
    event BondWithdrawn(address indexed account, uint256 amount);

    /// @notice The operational roles changed (by the timelock).
    event RolesSet(address sequencer, address arbiter, address guardian);
    /// @notice Fees go to `feeRecipient`'s vault balance from the next commit.
    event FeeRecipientSet(address feeRecipient);
    /// @notice The time and bond parameters changed (at initialization, or by the timelock).
    event ParametersSet(
        uint64 challengeWindow,
        uint64 challengeResponseWindow,
        uint64 withdrawalDelay,
        uint64 disputeTimeout,
        uint128 disputeBond
    );

    // ---------------------------------------------------------------- errors

    /// @notice `caller` does not hold the role the function needs.
    error SettlementUnauthorized(address caller);
    /// @notice A role, token or the timelock given as the zero address.
    error SettlementZeroAddress();
    /// @notice A zero window or timeout, a zero cancel grace, or a withdrawal delay not above the
    /// challenge window plus the response window plus the dispute timeout.
    error SettlementInvalidParameters();
    /// @notice An upgrade or parameter change through a timelock whose delay (`timelockDelay`) is
    /// shorter than the withdrawal delay plus the exit margin (`required`).
    error SettlementExitWindowTooShort(uint256 timelockDelay, uint256 required);
    /// @notice The contract is paused: deposits, commits and finalization wait (withdrawals do not).
    error SettlementPaused();
    /// @notice A deposit or withdrawal request of zero.
    error SettlementZeroAmount();
    /// @notice `token` is not on the allow-list.
    error SettlementTokenNotAllowed(address token);
    /// @notice `token` delivered `received` instead of `expected`: fee-on-transfer tokens are refused.
    error SettlementDeflationaryToken(address token, uint256 expected, uint256 received);
    /// @notice `account` has no pending withdrawal request of `token`.
    error SettlementNoWithdrawalRequest(address account, address token);
    /// @notice The withdrawal delay has not passed: executable from `executableAt`.
    error SettlementWithdrawalNotReady(uint64 executableAt);
    /// @notice `invalidateNonces` with a floor (`requested`) not above the current one.
    error SettlementNonceNotIncreasing(uint64 current, uint64 requested);

    /// @notice Market `marketId` is already registered.
    error SettlementMarketExists(uint32 marketId);
    /// @notice Market `marketId` is not registered.
    error SettlementUnknownMarket(uint32 marketId);
    /// @notice A market with one token on both sides, or steps that cannot price a lot in whole
    /// quote atoms (`MarketLib.validSteps`).
    error SettlementInvalidMarket();
    /// @notice Market `marketId` is paused.
    error SettlementMarketPaused(uint32 marketId);

    /// @notice Batches commit and finalize in id order: `expected` is the next one.
    error SettlementBatchOutOfOrder(uint64 expected, uint64 batchId);
    /// @notice Batch `batchId` is not pending (never committed, finalized or rolled back).
    error SettlementBatchNotPending(uint64 batchId);
    /// @notice `commitBatch` with `max` batches already between the finalize cursor and the next id.
    error SettlementTooManyPending(uint64 max);
    /// @notice Batch `batchId`'s window has not ended, or a challenge or dispute still holds it.
    error SettlementBatchNotFinalizable(uint64 batchId);
    /// @notice A commit with no fills.
    error SettlementEmptyBatch();
    /// @notice A batch over 1,024 fills, 512 deltas or 120,000 bytes of commit calldata: finalizing
    /// it might not fit a block, or nodes might refuse its commit transaction.
    error SettlementBatchTooLarge(uint256 fillCount, uint256 deltaCount, uint256 calldataBytes);
    /// @notice `commitBatch` called from a contract: it must be the transaction itself, so its
    /// input holds the fills.
    error SettlementNotTopLevel();
    /// @notice Fill record `index` of a commit cannot be a fill (malformed side, zero amount or
    /// price, cumulative fill below the fill, an amount beyond uint128, or a truncated record).
    error SettlementBadFill(uint256 index);
    /// @notice Fill record `index` points at a delta of another account or token (or none).
    error SettlementFillDeltaMismatch(uint256 index);
    /// @notice Delta `index` differs from the sum of the effects the batch's fills assign to it.
    error SettlementDeltaNotNetted(uint256 index);
    /// @notice Delta `index` is not strictly after the one before it by (account, token).
    error SettlementDeltasNotSorted(uint256 index);
    /// @notice A batch's deltas in `token` do not sum to zero (or overflow).
    error SettlementDeltasNotBalanced(address token);
    /// @notice `finalizeBatch` with deltas whose hash is not the one committed for `batchId`.
    error SettlementDeltasMismatch(uint64 batchId);
    /// @notice A dispute opened at or after batch `batchId`'s `finalizableAt`.
    error SettlementChallengeWindowClosed(uint64 batchId);

    /// @notice A fill and Merkle proof that do not lead to the batch's committed root.
    error SettlementInvalidProof();
    /// @notice The order given does not hash to `orderHash` (the one the fill names), or is not the
    /// challenger's.
    error SettlementOrderMismatch(bytes32 orderHash);
    /// @notice The proof shows no fraud: the fill is consistent with the order (or the two fills
    /// do not overlap, or the leaf is labelled right).
    error SettlementNoFraud();
    /// @notice `caller` is neither the maker nor the taker of the fill it challenges.
    error SettlementNotNamedInFill(address caller);

    /// @notice Challenge `challengeId` is not open (never opened, answered or upheld).
    error SettlementChallengeNotOpen(uint256 challengeId);
    /// @notice The answer came at or after the challenge's deadline.
    error SettlementChallengeDeadlinePassed(uint256 challengeId);
    /// @notice `upholdChallenge` before the challenge's deadline.
    error SettlementChallengeDeadlineNotReached(uint256 challengeId);
    /// @notice Order `orderHash` of batch `batchId` is already challenged.
    error SettlementChallengeExists(uint64 batchId, bytes32 orderHash);
    /// @notice A signature that is not the trader's (malformed, high s, v not 27 or 28, another
    /// signer), with no on-chain approval to stand in for it.
    error SettlementInvalidSignature();

    /// @notice `openDispute` with `sent` native currency instead of the bond, `expected`.
    error SettlementWrongBond(uint256 expected, uint256 sent);
    /// @notice Dispute `disputeId` is not open.
    error SettlementDisputeNotOpen(uint256 disputeId);
    /// @notice `expireDispute` before the arbiter's deadline while the batch is still pending.
    error SettlementDisputeDeadlineNotReached(uint256 disputeId);
    /// @notice Sending the bond to its owner failed (`withdrawBond`).
    error SettlementBondTransferFailed();
    /// @notice `account` is owed no bond.
    error SettlementNoBond(address account);

    // ---------------------------------------------------------------- vault

    /// @notice Deposit `amount` of an allow-listed `token` into the caller's vault balance.
    /// @dev Pulls with transferFrom; reverts `SettlementDeflationaryToken` if the vault receives
    /// less than `amount`. Reverts while the contract is paused.
    function deposit(address token, uint256 amount) external;

    /// @notice Ask to withdraw `amount` of `token`; executable after `withdrawalDelay`. Replaces any
    /// earlier request of the caller for that token. Needs no sequencer and is never paused.
    function requestWithdrawal(address token, uint256 amount) external;

    /// @notice Withdraw the caller's request for `token` (the sequencer releases its reservation).
    /// Reverts `SettlementNoWithdrawalRequest` if there is none. Never paused.
    function cancelWithdrawal(address token) external;

    /// @notice Execute the caller's matured request for `token`: transfers min(requested, balance),
    /// so batches committed before the request still finalize first. Never paused.
    /// @return amount what was transferred
    function withdraw(address token) external returns (uint256 amount);

    /// @notice Cancel one of the caller's orders on-chain. A fill of it committed `cancelGraceBlocks`
    /// or more blocks later is provably invalid.
    function cancelOrder(bytes32 orderHash) external;

    /// @notice As a contract wallet, consent on-chain to the order `orderHash` names: fills of it in
    /// batches committed `cancelGraceBlocks` or more blocks later count as signed (a challenge is
    /// answered by this record; no wallet code runs then). The first approval counts.
    function approveOrder(bytes32 orderHash) external;

    /// @notice Anyone records contract wallet `trader`'s ERC-1271 consent to `orderHash`: asks
    /// `isValidSignature(orderHash, signature)` once, with at most 50,000 gas, and stores the block
    /// as `approveOrder` would. Reverts `SettlementInvalidSignature` if the wallet does not accept.
    function recordApproval(address trader, bytes32 orderHash, bytes calldata signature) external;

    /// @notice Invalidate all the caller's orders with `nonce < minNonce` (must increase), for
    /// batches committed `cancelGraceBlocks` or more blocks later.
    function invalidateNonces(uint64 minNonce) external;

    // ---------------------------------------------------------------- batches

    /// @notice Commit batch `batchId` (must be the next id) with its fills as packed records
    /// (CommitLib, docs/protocol.md section 3) and its netted deltas. The contract rebuilds every
    /// leaf (with this batch id and the record's index), the fills root, and every fill's effect on
    /// balances; each delta must equal the sum of the effects its fills assign to it. Stores the root,
    /// the deltas hash and the fill count, and opens the challenge window. The fills are kept as
    /// calldata only: anyone rebuilds them from this transaction's input.
    /// @dev Only the sequencer, as a top-level transaction; not while paused. Deltas strictly
    /// sorted by (account, token) (zero allowed for a pair whose fills net out). At most
    /// `MAX_BATCH_FILLS` fills, `MAX_BATCH_DELTAS` deltas and `MAX_COMMIT_BYTES` of calldata.
    function commitBatch(uint64 batchId, bytes calldata fills, Delta[] calldata deltas) external;

    /// @notice Finalize the oldest pending batch once its window has passed and nothing is open on it:
    /// applies `deltas` (which must hash to the committed hash). If a delta would make a balance
    /// negative, the batch and every later pending batch roll back instead (no revert).
    /// @dev Anyone may call; not while paused.
    /// @return finalized true if applied, false if rolled back
    function finalizeBatch(uint64 batchId, Delta[] calldata deltas) external returns (bool finalized);

    // ---------------------------------------------------------------- rollback

    /// @notice Prove that `fill` (in pending batch `fill.batchId`, shown by `proof`) contradicts the
    /// order it names (`order` must hash to the fill's maker or taker order hash). Rolls back that batch
    /// and every later pending batch. Reverts `SettlementNoFraud` if the fill is consistent.
    /// @param isMaker whether `order` is the fill's maker order (else its taker order)
    function proveFillFraud(
        Fill calldata fill,
        bytes32[] calldata proof,
        OrderLib.Order calldata order,
        bool isMaker
    ) external returns (FraudKind kind);

    /// @notice Prove that two fills of one order claim overlapping filled ranges
    /// ([filledAfter - baseAmount, filledAfter) must be disjoint across an order's fills).
    /// Rolls back the later of the two batches (which must be pending) and every later one.
    function proveConflictingFills(
        Fill calldata a,
        bytes32[] calldata proofA,
        bool aIsMaker,
        Fill calldata b,
        bytes32[] calldata proofB,
        bool bIsMaker
    ) external;

    /// @notice Prove that pending batch `batchId` commits a leaf labelled with another batch id or
    /// with an index at or beyond its fill count (such a leaf could not be proven wrong or
    /// challenged through its own batch id). Emits `FraudProven(batchId, 0, MislabelledLeaf)` and
    /// rolls back `batchId` and every later batch; reverts `SettlementNoFraud` for a leaf labelled
    /// right.
    function proveMislabelledFill(uint64 batchId, Fill calldata fill, bytes32[] calldata proof) external;

    /// @notice As the trader named on one side of `fill`, claim never to have signed that side's order,
    /// while the batch is pending. Opened before the batch's `finalizableAt`, the challenge holds
    /// its finalization until answered or upheld; opened later (the batch still waits, e.g. for an
    /// earlier one), it holds nothing, and rolls the batch back only if the batch is still pending
    /// and unanswered at its deadline, so no hold outlasts the exit window (docs/protocol.md, 5).
    /// @return challengeId
    function challengeFill(
        Fill calldata fill,
        bytes32[] calldata proof
    ) external returns (uint256 challengeId);

    /// @notice Answer a challenge with the signed order: the challenger's ECDSA signature (whatever
    /// code its address has), or, for a contract wallet, any `signature` once the order was approved
    /// on-chain (`approveOrder`, `recordApproval`) at or before the batch's `cancelCutoffBlock`.
    /// Anyone may answer; the sequencer does so automatically.
    function answerChallenge(
        uint256 challengeId,
        OrderLib.Order calldata order,
        bytes calldata signature
    ) external;

    /// @notice After an unanswered challenge's deadline, anyone rolls its batch (and later ones) back.
    function upholdChallenge(uint256 challengeId) external;

    /// @notice Open a bonded dispute about pending batch `batchId` before its `finalizableAt`.
    /// `msg.value` must equal `disputeBond`.
    function openDispute(uint64 batchId, bytes32 claimHash) external payable returns (uint256 disputeId);

    /// @notice The arbiter decides: upheld rolls the batch (and later ones) back and credits the bond
    /// back to the disputer; dismissed credits it to the fee recipient. Bonds are never pushed.
    function resolveDispute(uint256 disputeId, bool uphold) external;

    /// @notice After the arbiter's deadline, anyone ends an undecided dispute: its bond is forfeited
    /// to the fee recipient (the hold was not free). Before the deadline, allowed once the batch is
    /// no longer pending: the bond is credited back to the disputer.
    function expireDispute(uint256 disputeId) external;

    /// @notice Pays the caller every bond credited to it (native currency); reverts
    /// `SettlementNoBond` if there is none.
    function withdrawBond() external returns (uint256 amount);

    // ---------------------------------------------------------------- governance

    /// @notice Guardian or timelock: stop deposits, commits and finalization at once. Withdrawals,
    /// cancels, fraud proofs, challenges and disputes keep working.
    function pause() external;

    /// @notice Guardian or timelock, at once: unpausing moves no balance (docs/protocol.md, section 6).
    function unpause() external;

    /// @notice Pause or unpause one market (guardian or timelock). A fill in a market paused at its
    /// batch's commit block is provably invalid.
    function setMarketPaused(uint32 marketId, bool paused) external;

    /// @notice Timelock only: allow or disallow deposits of `token`.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Timelock only. Requires allowed tokens, non-zero steps and
    /// `(lotSize * tickSize) % 10^baseDecimals == 0` so quote amounts are exact.
    function registerMarket(
        uint32 marketId,
        address baseToken,
        address quoteToken,
        uint128 tickSize,
        uint128 lotSize
    ) external;

    /// @notice Timelock only.
    function setRoles(address sequencer, address arbiter, address guardian) external;

    /// @notice Timelock only.
    function setFeeRecipient(address feeRecipient) external;

    /// @notice Timelock only; same rules as at initialization, and the timelock's own delay must be
    /// at least the new withdrawal delay plus 7 days (`SettlementExitWindowTooShort`), as for
    /// upgrades: users can always leave before a change takes effect.
    function setParameters(
        uint64 challengeWindow,
        uint64 challengeResponseWindow,
        uint64 withdrawalDelay,
        uint64 disputeTimeout,
        uint128 disputeBond
    ) external;

    // ---------------------------------------------------------------- views

    function balanceOf(address account, address token) external view returns (uint256);
    function totalBalance(address token) external view returns (uint256);
    function withdrawalRequest(
        address account,
        address token
    ) external view returns (WithdrawalRequest memory);
    function isTokenAllowed(address token) external view returns (bool);
    function market(uint32 marketId) external view returns (Market memory);
    function batch(uint64 batchId) external view returns (Batch memory);
    /// @notice The id the next commit must use.
    function nextBatchId() external view returns (uint64);
    /// @notice The id the next finalization must use (== nextBatchId when nothing is pending).
    function nextFinalizeId() external view returns (uint64);
    function challenge(uint256 challengeId) external view returns (Challenge memory);
    /// @notice Blocks between an on-chain cancel or nonce bump and the first commit it binds.
    function cancelGraceBlocks() external view returns (uint32);
    /// @notice Native currency owed to `account` by `withdrawBond`.
    function bondCredit(address account) external view returns (uint256);
    function dispute(uint256 disputeId) external view returns (Dispute memory);
    /// @notice The block an order was cancelled in by its trader, 0 if never.
    function cancelledAtBlock(address trader, bytes32 orderHash) external view returns (uint64);
    /// @notice Block of the first on-chain approval of `orderHash` by `trader`, 0 if none.
    function approvedAtBlock(address trader, bytes32 orderHash) external view returns (uint64);
    /// @notice The minimum valid nonce of `trader` as of the end of block `blockNumber`.
    function minNonceAt(address trader, uint64 blockNumber) external view returns (uint64);
    function minNonce(address trader) external view returns (uint64);
    /// @notice EIP-712 digest of `order` under this contract's domain.
    function hashOrder(OrderLib.Order calldata order) external view returns (bytes32);
    function domainSeparator() external view returns (bytes32);
    function roles()
        external
        view
        returns (address timelock, address guardian, address arbiter, address sequencer);
    function feeRecipient() external view returns (address);
    function parameters()
        external
        view
        returns (
            uint64 challengeWindow,
            uint64 challengeResponseWindow,
            uint64 withdrawalDelay,
            uint64 disputeTimeout,
            uint128 disputeBond
        );
    function paused() external view returns (bool);
}
