import { createRequire } from "node:module";
import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * The pinned `solc` npm package (WASM). Hardhat uses it through `path`, so no
 * compiler is ever downloaded. Bumping the compiler = bumping `solc` in package.json
 * and SOLC_VERSION together.
 */
const SOLC_VERSION = "0.8.30";
const SOLC_PATH = require.resolve("solc/soljson.js");

/**
 * shanghai: Polygon zkEVM / CDK chains reject TLOAD, TSTORE, MCOPY, BLOBHASH,
 * BLOBBASEFEE and BASEFEE (see DESIGN.md), so we neither emit nor test against them.
 */
const EVM_VERSION = "shanghai";

/** A live network whose RPC URL and deployer key come from configuration variables. */
function liveNetwork(chainId: number, rpcVar: string) {
  return {
    type: "http" as const,
    chainType: "l1" as const,
    chainId,
    url: configVariable(rpcVar),
    accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
  };
}

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    // Hardhat 3 emits artifacts for npm files only when listed here (importing them is not
    // enough). The Ignition modules deploy these two by name.
    npmFilesToBuild: [
      "@openzeppelin/contracts/governance/TimelockController.sol",
      "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
    ],
    compilers: [
      {
        version: SOLC_VERSION,
        path: SOLC_PATH,
        settings: {
          evmVersion: EVM_VERSION,
          // runs 200 keeps the Settlement core under EIP-170 (24,576 bytes of runtime code).
          optimizer: { enabled: true, runs: 200 },
          // Full metadata so explorers (and lib-sourcify) get a perfect match.
          metadata: { bytecodeHash: "ipfs" },
        },
      },
    ],
  },
  networks: {
    default: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: EVM_VERSION,
      allowUnlimitedContractSize: false,
    },
    // `hardhat node` serves the network named "node": same shanghai chain as the default.
    node: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: EVM_VERSION,
      // The chain keeps its clock with the wall clock, as a live chain does: a block may share
      // its parent's timestamp (by default each block is one second after its parent, so a
      // deployment of a hundred transactions put the clock 100 s ahead, and every order the
      // sequencer judged by the wall clock was provably expired on-chain), and an empty block is
      // mined every second while idle (by default an idle chain's time stands still, so a batch
      // never became finalizable). Transactions are still mined at once.
      allowBlocksWithSameTimestamp: true,
      mining: { auto: true, interval: 1_000 },
    },
    localhost: {
      type: "http",
      chainType: "l1",
      url: "http://127.0.0.1:8545",
    },
    polygonZkEVM: liveNetwork(1101, "POLYGON_ZKEVM_RPC_URL"),
    zkEVMCardona: liveNetwork(2442, "ZKEVM_CARDONA_RPC_URL"),
    polygon: liveNetwork(137, "POLYGON_RPC_URL"),
    amoy: liveNetwork(80002, "AMOY_RPC_URL"),
  },
  chainDescriptors: {
    1101: {
      name: "Polygon zkEVM",
      blockExplorers: {
        etherscan: {
          name: "PolygonScan zkEVM",
          url: "https://zkevm.polygonscan.com",
          apiUrl: "https://api.etherscan.io/v2/api",
        },
        blockscout: {
          name: "Blockscout zkEVM",
          url: "https://zkevm.blockscout.com",
          apiUrl: "https://zkevm.blockscout.com/api",
        },
      },
    },
    2442: {
      name: "Polygon zkEVM Cardona",
      blockExplorers: {
        etherscan: {
          name: "PolygonScan Cardona",
          url: "https://cardona-zkevm.polygonscan.com",
          apiUrl: "https://api.etherscan.io/v2/api",
        },
        blockscout: {
          name: "Blockscout Cardona",
          url: "https://explorer-ui.cardona.zkevm-rpc.com",
          apiUrl: "https://explorer-ui.cardona.zkevm-rpc.com/api",
        },
      },
    },
    137: {
      name: "Polygon PoS",
      blockExplorers: {
        etherscan: {
          name: "PolygonScan",
          url: "https://polygonscan.com",
          apiUrl: "https://api.etherscan.io/v2/api",
        },
        blockscout: {
          name: "Blockscout Polygon",
          url: "https://polygon.blockscout.com",
          apiUrl: "https://polygon.blockscout.com/api",
        },
      },
    },
    80002: {
      name: "Polygon Amoy",
      blockExplorers: {
        etherscan: {
          name: "PolygonScan Amoy",
          url: "https://amoy.polygonscan.com",
          apiUrl: "https://api.etherscan.io/v2/api",
        },
        blockscout: {
          name: "Blockscout Amoy",
          url: "https://polygon-amoy.blockscout.com",
          apiUrl: "https://polygon-amoy.blockscout.com/api",
        },
      },
    },
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
    blockscout: { enabled: true },
    sourcify: { enabled: true },
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 32, failOnRevert: false },
    },
  },
});
