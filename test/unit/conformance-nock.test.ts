import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { PROVIDERS } from '../helpers/conformance/index.js';

for (const provider of PROVIDERS) {
  describe(`provider ${provider.name}: its wire contract, against responses of its recorded shapes through nock`, () => {
    beforeAll(() => nock.disableNetConnect());
    afterEach(() => nock.cleanAll());
    afterAll(() => nock.enableNetConnect());
    for (const name of provider.wire.caseNames) it(name, () => provider.wire.runAgainstNock(name, (base) => nock(base)));
  });
}
