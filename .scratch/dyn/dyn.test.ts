import { load } from './a';
test('dyn', async () => { expect(await load()).toBe(42); });
