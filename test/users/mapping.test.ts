import { describe, expect, it } from 'vitest';
import { comparedAttributes, UserMapper, userAttributes } from '../../src/users/mapping.js';
import type { ExportRecord, KeycloakUser } from '../../src/users/types.js';
import { mapping } from './helpers.js';

function rec(position: string, user: Partial<KeycloakUser>, problem?: string): ExportRecord {
  return {
    position,
    user: { enabled: true, emailVerified: false, attributes: {}, groups: [], realmRoles: [], ...user },
    ...(problem ? { problem } : {}),
  };
}

describe('UserMapper', () => {
  it('maps a Keycloak user to Cognito: username from the email, names, verified flag, custom attributes, groups', () => {
    const m = new UserMapper(mapping());
    const r = m.map(
      rec('f users[0]', {
        email: '  Zoë.Ng@Example.NHS.uk ',
        firstName: ' Zoë ',
        lastName: 'Nguyễn-Ó Briain',
        emailVerified: true,
        attributes: { DBC: ['1-1RUZV1D', '1-AIIDR8'], other: ['x'] },
        groups: ['/DBC/RevalAdmin'],
        realmRoles: ['HEE Admin'],
      }),
    );
    expect(r).toEqual({
      ok: true,
      user: {
        username: 'zoë.ng@example.nhs.uk',
        position: 'f users[0]',
        enabled: true,
        attributes: {
          email: 'zoë.ng@example.nhs.uk',
          email_verified: 'true',
          given_name: 'Zoë',
          family_name: 'Nguyễn-Ó Briain',
          'custom:dbc': '1-1RUZV1D,1-AIIDR8',
        },
        groups: ['reval-admins', 'hee-admins'],
      },
    });
    if (r.ok)
      expect(userAttributes(r.user).map((a) => a.Name)).toEqual(['custom:dbc', 'email', 'email_verified', 'family_name', 'given_name']);
    expect(comparedAttributes(mapping())).toEqual(['email', 'email_verified', 'given_name', 'family_name', 'custom:dbc']);
  });

  it('keeps a disabled user (sync creates it disabled) and leaves out empty attributes', () => {
    const r = new UserMapper(mapping()).map(rec('p', { email: 'd@x.uk', enabled: false, attributes: { DBC: [] } }));
    expect(r).toMatchObject({ ok: true, user: { enabled: false, attributes: { email: 'd@x.uk' }, groups: [] } });
  });

  it('reports hostile rows with their position and never half-maps them', () => {
    const m = new UserMapper(mapping());
    const rows = [
      rec('r0', {}),
      rec('r1', { email: '   ' }),
      rec('r2', { email: 'not-an-email' }),
      rec('r3', { email: 'two@@x.uk' }),
      rec('r4', { email: 'sp ace@x.uk' }),
      rec('r5', { email: 'First@X.uk' }),
      rec('r6', { email: ' first@x.UK ' }),
      rec('r7', { email: 'FIRST@x.uk' }),
      rec('r8', { email: 'big@x.uk', attributes: { DBC: ['a'.repeat(2049)] } }),
      rec('r9', { email: 'edge@x.uk', attributes: { DBC: ['a'.repeat(1000), 'b'.repeat(1047)] } }),
      rec('r10', { email: 'split@x.uk', attributes: { DBC: ['a'.repeat(1024), 'b'.repeat(1024)] } }),
      rec('r11', { email: 'name@x.uk', firstName: 'n'.repeat(3000) }),
      rec('r12', { email: `${'l'.repeat(123)}@x.uk` }),
      rec('r13', { email: 'ok@x.uk' }, 'enabled is not true or false'),
    ];
    const results = rows.map((r) => m.map(r));
    const summary = results.map((r) => (r.ok ? 'ok' : `${r.invalid.position}: ${r.invalid.reason}`));
    expect(summary).toEqual([
      'r0: no email',
      'r1: no email',
      'r2: malformed email',
      'r3: malformed email',
      'r4: malformed email',
      'ok',
      'r6: duplicate email (first at r5)',
      'r7: duplicate email (first at r5)',
      'r8: custom:dbc is 2049 characters; Cognito allows 2048',
      'ok',
      'r10: custom:dbc is 2049 characters; Cognito allows 2048',
      'r11: given_name is 3000 characters; Cognito allows 2048',
      'ok',
      'r13: enabled is not true or false',
    ]);
    const dup = results[6]!;
    expect(dup.ok ? undefined : dup.invalid).toEqual({
      position: 'r6',
      email: ' first@x.UK ',
      reason: 'duplicate email (first at r5)',
      firstPosition: 'r5',
    });
  });

  it('rejects usernames Cognito cannot hold', () => {
    const r = new UserMapper(mapping()).map(rec('r', { email: `${'l'.repeat(130)}@x.uk` }));
    expect(r.ok ? '' : r.invalid.reason).toBe('email is 135 characters; Cognito usernames are at most 128');
  });
});
