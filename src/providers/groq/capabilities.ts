/**
 * What Groq's organization contract v2 can do, declared as octoDNS providers declare `SUPPORTS_*`:
 * its entry in the static table validate reads by name (src/core/capabilities.ts).
 */
import { PROVIDER_CAPABILITIES } from '../../core/capabilities.js';
import type { Capabilities } from '../../core/provider.js';

export const GROQ_CAPABILITIES: Capabilities = PROVIDER_CAPABILITIES.groq;
