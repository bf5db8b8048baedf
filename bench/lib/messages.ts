/** What the orchestrator and its child processes say to each other over IPC. */

export type CannonSpec = {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Signed unique requests generated before the run starts; the run cycles if it uses more. */
  poolSize: number;
  /** Pads each body to this many bytes; unset keeps the fixtures' natural sizes. */
  bodyBytes: number | undefined;
  /** Makes event keys unique across runs. */
  runTag: string;
};

export type CannonResult = {
  requestsPerSecond: number;
  total: number;
  durationSeconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  poolSize: number;
  /** How many requests the run built; above poolSize some requests were repeats. */
  used: number;
  generationMs: number;
};

export type PacedSpec = {
  url: string;
  ratePerSecond: number;
  durationSeconds: number;
  runTag: string;
};

export type PacedResult = {
  sent: number;
  durationSeconds: number;
  statusCounts: Record<string, number>;
  errors: number;
  /** Sends that left more than 5 ms after their slot: the sender itself fell behind. */
  lateSends: number;
  responseP50Ms: number;
  responseP99Ms: number;
};

/** A burst of signed ReachFive FAILURE reports, sent as fast as `connections` allow. */
export type BurstSpec = {
  url: string;
  count: number;
  connections: number;
  /** Makes event keys (and the ReachFive definitions, i.e. the incident series) unique across runs. */
  runTag: string;
};

export type BurstAnswer = { key: string; status: number; answeredAt: number };

export type BurstResult = {
  /** Epoch ms just before the first request left. */
  startedAt: number;
  /** Epoch ms when the last answer came. */
  finishedAt: number;
  /** One per request, in send order (status 0: no answer). */
  answers: BurstAnswer[];
  errors: number;
};

/** A message a stand-in accepted: when it arrived (epoch ms) and the text the keys are counted in. */
export type StandInMessage = { at: number; text: string };

export type AlertLog = {
  /** Messages the Slack stand-in accepted (200) since the asked-for index. */
  slack: StandInMessage[];
  email: StandInMessage[];
  /** Requests the Slack stand-in refused with 429 since the last reset. */
  rateLimited: number;
  /** Requests it received in all since the last reset (accepted + refused). */
  slackRequests: number;
};

/** Peaks of process.memoryUsage() since the last reset, in MB: what the RSS peak is made of. */
export type MemoryPeaks = { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };

export type ParentMessage =
  | { type: 'go' }
  | { type: 'stop' }
  | { type: 'cannon'; spec: CannonSpec }
  | { type: 'fire' }
  | { type: 'paced'; spec: PacedSpec }
  | { type: 'query'; id: number; text: string; params: unknown[] }
  | { type: 'getCounts' }
  | { type: 'burst'; spec: BurstSpec }
  | { type: 'resetAlertLog' }
  | { type: 'getAlertLog'; slackFrom: number; emailFrom: number }
  | { type: 'memoryReset' }
  | { type: 'getMemory' };

export type ChildMessage =
  | { type: 'ready'; port: number | null; slackUrl?: string; smtpUrl?: string }
  | { type: 'started' }
  | { type: 'cannonPrepared' }
  | { type: 'cannonResult'; result: CannonResult }
  | { type: 'pacedReady' }
  | { type: 'sent'; key: string; sentAt: number }
  | { type: 'pacedResult'; result: PacedResult }
  | { type: 'queryResult'; id: number; rows: Array<Record<string, unknown>>; error?: string }
  | { type: 'counts'; slack: number; email: number }
  | { type: 'burstResult'; result: BurstResult }
  | { type: 'alertLogReset' }
  | { type: 'alertLog'; log: AlertLog }
  | { type: 'memory'; peaks: MemoryPeaks }
  | { type: 'error'; message: string };

export type ChildMessageType = ChildMessage['type'];
export type ChildMessageOf<T extends ChildMessageType> = Extract<ChildMessage, { type: T }>;
