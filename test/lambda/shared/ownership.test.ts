import { decideClaim, decideRelease, ownerId, UNRECORDED } from '../../../lambda/shared/ownership';

const A = ownerId('stack-1', 'ReleaseA');
const B = ownerId('stack-1', 'ReleaseB');
/** The same construct path in another stack of the account (a second app, or a copy of the stack). */
const OTHER = ownerId('stack-2', 'ReleaseA');

describe('ownerId', () => {
  test('16 hex digits, stable, different per logical id and per stack', () => {
    expect(A).toMatch(/^[0-9a-f]{16}$/);
    expect(ownerId('stack-1', 'ReleaseA')).toBe(A);
    expect(B).not.toBe(A);
    expect(ownerId('stack-2', 'ReleaseA')).not.toBe(A);
    expect(A).not.toBe(UNRECORDED);
  });
  test('the stack is its own part of the id: a rename keeps it, another stack changes it', () => {
    expect(B.slice(0, 8)).toBe(A.slice(0, 8));
    expect(OTHER.slice(0, 8)).not.toBe(A.slice(0, 8));
  });
});

describe('decideClaim', () => {
  test('a routing that does not exist yet is claimed', () => {
    expect(decideClaim(undefined, A, false)).toEqual({ action: 'claim', record: { owner: A } });
  });
  test('our own routing: nothing to write', () => {
    expect(decideClaim({ owner: A }, A, false, 'Update')).toEqual({ action: 'keep' });
    expect(decideClaim({ owner: A, previousOwner: B }, A, false, 'Create')).toEqual({ action: 'keep' });
  });
  test('an Update after a takeover drops the previous owner (its cleanup or rollback is over)', () => {
    expect(decideClaim({ owner: A, previousOwner: B }, A, false, 'Update')).toEqual({ action: 'claim', record: { owner: A } });
  });
  test('a rename within the stack takes over and remembers the previous owner', () => {
    expect(decideClaim({ owner: A }, B, false, 'Create')).toEqual({ action: 'claim', record: { owner: B, previousOwner: A } });
  });
  test('a canary of another stack is refused, saying what to do', () => {
    for (const requestType of ['Create', 'Update'] as const) {
      const d = decideClaim({ owner: OTHER }, A, false, requestType);
      expect(d.action).toBe('refuse');
      expect(d.action === 'refuse' && d.reason).toMatch(/another stack.*Remove one of the two canaries.*adoptExisting: true/);
    }
    // A record that is not an owner id (edited by hand) is not trusted as the same stack either.
    expect(decideClaim({ owner: 'someone' }, A, false).action).toBe('refuse');
  });
  test('adoptExisting takes it over from another stack, remembering it so a rollback hands it back', () => {
    expect(decideClaim({ owner: OTHER }, A, true, 'Create')).toEqual({ action: 'claim', record: { owner: A, previousOwner: OTHER } });
    expect(decideRelease({ owner: A, previousOwner: OTHER }, A)).toEqual({ action: 'leave', record: { owner: OTHER } });
  });
  test('an Update keeps a previous owner of another stack: only its own stack\'s Delete ends it', () => {
    expect(decideClaim({ owner: A, previousOwner: OTHER }, A, true, 'Update')).toEqual({ action: 'keep' });
    expect(decideRelease({ owner: A, previousOwner: OTHER }, OTHER)).toEqual({ action: 'leave', record: { owner: A } });
  });
  test('a routing of an earlier library release: an Update claims it outright, a Create keeps UNRECORDED as previous', () => {
    expect(decideClaim({ owner: UNRECORDED }, A, false, 'Update')).toEqual({ action: 'claim', record: { owner: A } });
    expect(decideClaim({ owner: UNRECORDED }, A, false, 'Create')).toEqual({ action: 'claim', record: { owner: A, previousOwner: UNRECORDED } });
  });
  test('a routing someone else made is refused, with the migration in the reason', () => {
    const d = decideClaim({}, A, false);
    expect(d.action).toBe('refuse');
    expect(d.action === 'refuse' && d.reason).toMatch(/RETAIN.*adoptExisting: true/);
  });
  test('adoptExisting takes it over, keeping UNRECORDED as previous so a rollback hands it back', () => {
    expect(decideClaim({}, A, true)).toEqual({ action: 'claim', record: { owner: A, previousOwner: UNRECORDED } });
  });
});

describe('decideRelease', () => {
  test('the only owner goes: remove', () => {
    expect(decideRelease({ owner: A }, A)).toEqual({ action: 'remove' });
  });
  test('a rollback deletes the new owner: ownership goes back', () => {
    expect(decideRelease({ owner: B, previousOwner: A }, B)).toEqual({ action: 'leave', record: { owner: A } });
    expect(decideRelease({ owner: A, previousOwner: UNRECORDED }, A)).toEqual({ action: 'leave', record: { owner: UNRECORDED } });
  });
  test('a rename completes: the old owner goes, the new one stays alone', () => {
    expect(decideRelease({ owner: B, previousOwner: A }, A)).toEqual({ action: 'leave', record: { owner: B } });
  });
  test('the old resource of a library upgrade goes after a rename: the new owner stays alone', () => {
    expect(decideRelease({ owner: B, previousOwner: UNRECORDED }, A)).toEqual({ action: 'leave', record: { owner: B } });
  });
  test('someone else\'s routing, or none: left alone, nothing written', () => {
    expect(decideRelease({}, A)).toEqual({ action: 'leave' });
    expect(decideRelease({ owner: B }, A)).toEqual({ action: 'leave' });
    expect(decideRelease({ owner: OTHER }, A)).toEqual({ action: 'leave' });
    expect(decideRelease(undefined, A)).toEqual({ action: 'leave' });
  });
});
