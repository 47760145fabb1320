/// <reference types="node" preserve="true" />
/** tcp-lifecycle as a library: the same pipeline and records as the CLI (its types use Node's stream types: @types/node is a dependency). */
export { analyze, analyzeInBatches, runPipeline, DEFAULTS } from './analyze.js';
export type { AnalyzeOptions, CaptureInput, Progress } from './analyze.js';
export { CaptureError } from './capture/frame.js';
export type * from './records.js';
export { TCP_STATES } from './state/states.js';
export type { TcpState } from './state/states.js';
