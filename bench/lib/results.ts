import type { Alerts } from '../sections/alerts.ts';
import type { SignatureAmplification } from '../sections/signature-amplification.ts';
import type { E2eLatency } from '../sections/e2e-latency.ts';
import type { Growth } from '../sections/growth.ts';
import type { IngressThroughput } from '../sections/ingress-throughput.ts';
import type { PipelineThroughput } from '../sections/pipeline-throughput.ts';
import type { Machine } from './machine.ts';
import type { MemoryPeaks } from './messages.ts';
import type { Settings } from './settings.ts';

export type MemoryFigure = {
  process: 'ingress' | 'worker';
  during: string;
  peakRssMB: number | undefined;
  idleRssMB: number | undefined;
  breakdown: MemoryPeaks | undefined;
};

export type TargetCheck = { target: string; measured: string; met: boolean | undefined; note?: string };

export type BenchResults = {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  settings: Settings;
  runner: string;
  logLevel: string;
  /** NODE_OPTIONS of hookline's processes (not the baselines'): the image's, or BENCH_NODE_OPTIONS. */
  nodeOptions?: string | undefined;
  /** With --profile the ingress and workers run under the V8 profiler: slower, not for comparison. */
  profiled: boolean;
  database: string;
  ingress?: IngressThroughput;
  pipeline?: PipelineThroughput;
  e2e?: E2eLatency;
  growth?: Growth;
  alerts?: Alerts;
  amplification?: SignatureAmplification;
  memory: MemoryFigure[];
  targets: TargetCheck[];
  errors: string[];
};
