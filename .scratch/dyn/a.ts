export const load = async () => (await import('./b.js')).value;
