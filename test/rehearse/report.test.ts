import { describe, expect, it } from 'vitest';
import { compareEstate, normalizeSnapshot } from '../../src/rehearse/compare.js';
import { renderTable, summaryRows } from '../../src/rehearse/report.js';
import type { EstateSnapshot } from '../../src/sandbox/estate.js';
import { emptyState } from '../../src/state/types.js';

const snap = (over: Partial<EstateSnapshot> = {}): EstateSnapshot => ({
  appsRecordSets: [{ Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 300 }],
  revalProviderArns: ['arn:old'],
  userManagementPolicy: null,
  userManagementStageVariables: { authenticationProvider: 'keycloak' },
  health: { adminsUi: 200, reval: 200, userManagementRead: 200, userManagementWrite: 201 },
  ...over,
});

describe('compareEstate', () => {
  it('names each part that differs, and only the parts asked for', () => {
    expect(compareEstate(snap(), snap(), ['dns', 'reval', 'usermanagement', 'health'])).toEqual([]);
    const moved = snap({ revalProviderArns: ['arn:new'], userManagementPolicy: '{}' });
    expect(compareEstate(snap(), moved, ['dns', 'reval'])).toEqual(['reval: expected ["arn:old"], found ["arn:new"]']);
    expect(compareEstate(snap(), moved, ['dns'])).toEqual([]);
    const umRestricted = snap({ health: { adminsUi: 200, reval: 200, userManagementRead: 200, userManagementWrite: 403 } });
    expect(compareEstate(snap(), umRestricted, ['admins-reval-health'])).toEqual([]);
    expect(compareEstate(snap(), umRestricted, ['health'])).toHaveLength(1);
  });

  it('normalizes generated ids so two sandboxes compare', () => {
    const a = normalizeSnapshot(snap({ revalProviderArns: ['arn:aws:cognito-idp:eu-west-2:0:userpool/eu-west-2_aaaa1111'] }), {
      newPoolArn: 'arn:aws:cognito-idp:eu-west-2:0:userpool/eu-west-2_aaaa1111',
      newPoolId: 'eu-west-2_aaaa1111',
    });
    const b = normalizeSnapshot(snap({ revalProviderArns: ['arn:aws:cognito-idp:eu-west-2:0:userpool/eu-west-2_bbbb2222'] }), {
      newPoolArn: 'arn:aws:cognito-idp:eu-west-2:0:userpool/eu-west-2_bbbb2222',
      newPoolId: 'eu-west-2_bbbb2222',
    });
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toContain('<newPoolArn>');
  });
});

describe('summaryRows', () => {
  it('sums durations per step and shows the telling field of its checkpoint', () => {
    const state = emptyState('rb', 'sandbox');
    state.steps['mid.4'] = {
      ref: 'mid.4',
      type: 't',
      title: 't',
      status: 'applied',
      params: {},
      digest: 'd',
      at: '',
      before: { providerARNs: ['old'], deploymentId: 'a' },
      after: { providerARNs: ['new'], deploymentId: 'b' },
    };
    state.steps['pre.1a'] = { ref: 'pre.1a', type: 't', title: 't', status: 'noop', params: {}, digest: 'd', at: '' };
    const rows = summaryRows(
      [
        { kind: 'step-end', ref: 'pre.1a', status: 'noop', durationMs: 20 },
        { kind: 'step-end', ref: 'mid.4', status: 'applied', durationMs: 400 },
        { kind: 'step-end', ref: 'mid.4', status: 'rolled-back', durationMs: 600 },
      ],
      state,
    );
    expect(rows).toEqual([
      { step: 'pre.1a', status: 'noop', duration: '20ms', checkpoint: 'in place already' },
      { step: 'mid.4', status: 'applied', duration: '1s', checkpoint: 'providerARNs: ["old"] -> ["new"]' },
    ]);
    expect(renderTable(rows as unknown as Record<string, string>[], ['step', 'status'])).toEqual([
      'step    status',
      '------  -------',
      'pre.1a  noop',
      'mid.4   applied',
    ]);
  });
});
