// npm run bench runs every benchmark; `tsx scripts/bench/one.ts NAME` runs one of them (startup,
// validate, sandbox, plan, apply, scale, openai-plan, openai-apply) for a quick look at a single figure.
const name = process.argv[2] ?? '';
const benches: Record<string, () => Promise<unknown>> = {
  startup: async () => (await import('./startup.js')).benchStartup(),
  validate: async () => (await import('./validate.js')).benchValidate(),
  sandbox: async () => (await import('./sandbox.js')).benchSandbox(),
  plan: async () => (await import('./plan.js')).benchPlan(),
  apply: async () => (await import('./apply.js')).benchApply(),
  scale: async () => (await import('./scale.js')).benchScale(),
  'openai-plan': async () => (await import('./openai.js')).benchOpenAiPlan(),
  'openai-apply': async () => (await import('./openai.js')).benchOpenAiApply(),
};
const run = benches[name];
if (!run) {
  console.error(`usage: tsx scripts/bench/one.ts ${Object.keys(benches).join('|')}`);
  process.exit(1);
}
console.log(JSON.stringify(await run()));
