/**
 * The MFA code a profile's `mfa_serial` asks for, typed at the terminal as the AWS CLI asks for
 * it. Only offered on a terminal; elsewhere such a profile fails with a hint instead of hanging.
 */
export async function askMfaCode(serial: string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input(
    { message: `MFA code for ${serial}:`, validate: (v) => /^\d{6}$/.test(v.trim()) || 'six digits' },
    { output: process.stderr },
  ).then((v) => v.trim());
}
