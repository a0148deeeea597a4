import type { DaprHopsResult } from '../scenarios/dapr-hops';
import type { FullStackResult } from '../scenarios/full-stack';
import type { PeerResult } from '../scenarios/peers';

/** What the scenarios of one run measured. */
export interface BenchResults {
  full?: FullStackResult;
  bare?: PeerResult;
  centrifugo?: PeerResult;
  dapr?: DaprHopsResult;
  /** Scenarios that failed, with the reason. */
  failures: Record<string, string>;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** Load average when the run started: other work on the machine skews the figures. */
  loadAverageAtStart: number[];
}
