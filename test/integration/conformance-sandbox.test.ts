import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { portCases, PROVIDERS, type PortSandbox, type WireSandbox } from '../helpers/conformance/index.js';

// No nock in this file: its interceptor, once loaded, would sit between the client and the sandbox.
for (const provider of PROVIDERS) {
  describe(`provider ${provider.name}: the port, against its sandbox over HTTP`, () => {
    let sandbox: PortSandbox;
    beforeAll(async () => {
      sandbox = await provider.startPortSandbox();
    });
    afterAll(() => sandbox.close());
    afterEach(() => sandbox.reset());
    for (const c of portCases) it(c.name, () => c.run(sandbox));
  });

  describe(`provider ${provider.name}: its wire contract, against its sandbox over HTTP`, () => {
    let sandbox: WireSandbox;
    beforeAll(async () => {
      sandbox = await provider.wire.startSandbox();
    });
    afterAll(() => sandbox.close());
    afterEach(() => sandbox.reset());
    for (const name of provider.wire.caseNames) it(name, () => sandbox.run(name));
  });
}
