/**
 * The providers the conformance suite runs against (issue 18). Each entry brings its sandbox (the
 * port over HTTP on 127.0.0.1, where the same `portCases` run for every provider) and its wire
 * cases (its own client's paths and payloads, the same calls and assertions against its sandbox
 * and against nock replaying the provider's recorded shapes). A provider plugs in with one line in
 * `PROVIDERS`.
 */
import type nock from 'nock';
import type { ProviderAdmin } from '../../../src/core/provider.js';
import { groqHarness } from './groq.js';
import { openaiHarness } from './openai.js';

export interface PortSandbox {
  admin: ProviderAdmin;
  /** A model the organization serves. */
  model: string;
  /** A key value of this provider's shape that no organization issued. */
  bogusKeyValue: string;
  /** Empties the organization between cases. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface WireSandbox {
  run(caseName: string): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderHarness {
  /** As org.yaml's `provider:` names it. */
  name: string;
  startPortSandbox(): Promise<PortSandbox>;
  wire: {
    caseNames: string[];
    startSandbox(): Promise<WireSandbox>;
    /** Runs one case against nock interceptors on a fresh `nock(base)` scope, and checks they were all used. */
    runAgainstNock(caseName: string, scope: (base: string) => nock.Scope): Promise<void>;
    nockBase: string;
  };
}

export const PROVIDERS: ProviderHarness[] = [groqHarness, openaiHarness];

export { portCases } from './port-cases.js';
